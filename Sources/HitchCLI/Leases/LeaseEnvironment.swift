import Foundation
import HitchAPI

/// A lease's credential as environment variables: those the platform's own tools read where they exist (the AWS
/// SDKs and CLI), documented `HITCH_*` ones otherwise (a vCenter session).
enum LeaseEnvironment {
    static func variables(_ issued: Components.Schemas.LeaseIssued) -> [(key: String, value: String)] {
        let credentials = issued.credentials
        var variables: [(key: String, value: String)] = [("HITCH_LEASE_ID", issued.lease.id)]
        if let keyId = credentials.accessKeyId, let secret = credentials.secretAccessKey {
            variables += [("AWS_ACCESS_KEY_ID", keyId), ("AWS_SECRET_ACCESS_KEY", secret)]
            if let token = credentials.sessionToken { variables.append(("AWS_SESSION_TOKEN", token)) }
            if let region = credentials.region { variables += [("AWS_REGION", region), ("AWS_DEFAULT_REGION", region)] }
        }
        if let token = credentials.accessToken {
            switch issued.lease.kind {
            case "gcp": variables += [("GOOGLE_OAUTH_ACCESS_TOKEN", token), ("CLOUDSDK_AUTH_ACCESS_TOKEN", token)]
            default: variables.append(("HITCH_AZURE_ACCESS_TOKEN", token))
            }
        }
        if let cookie = credentials.sessionCookie, issued.lease.kind == "nutanix" {
            variables.append(("HITCH_NUTANIX_SESSION_COOKIE", cookie))
            if let url = credentials.apiUrl { variables.append(("HITCH_NUTANIX_URL", url)) }
            if let thumbprint = credentials.thumbprint { variables.append(("HITCH_NUTANIX_THUMBPRINT", thumbprint)) }
        } else if let cookie = credentials.sessionCookie {
            variables.append(("HITCH_VSPHERE_SESSION_COOKIE", cookie))
            if let url = credentials.sdkUrl { variables.append(("HITCH_VSPHERE_SDK_URL", url)) }
            if let thumbprint = credentials.thumbprint { variables.append(("HITCH_VSPHERE_THUMBPRINT", thumbprint)) }
        }
        return variables
    }

    /// Single-quoted for a POSIX shell.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
