import HitchDomain
import Testing

/// Each kind's validation, with accepted and rejected examples.
@Suite struct KindValidationTests {
    static let gcpKey = """
        {"type": "service_account", "project_id": "proj-one", "client_email": "a@proj-one.iam.gserviceaccount.com",
         "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n",
         "token_uri": "https://oauth2.googleapis.com/token"}
        """

    static func valid(_ kind: ConnectionKind) -> ConnectionDraft {
        switch kind {
        case .vsphere:
            ConnectionDraft(
                kind: kind, name: "prod-vcenter",
                fields: ["vcenter": .string("vc01.corp.example"), "username": .string("svc@vsphere.local"),
                         "datacenter": .string("DC1"), "insecure": .boolean(false)],
                secrets: ["password": SecretValue("pw")])
        case .nutanix:
            ConnectionDraft(
                kind: kind, name: "prism",
                fields: ["endpoint": .string("10.0.0.5:9440"), "username": .string("admin"), "clusterName": .string("C1")],
                secrets: ["password": SecretValue("pw")])
        case .azure:
            ConnectionDraft(
                kind: kind, name: "azure-sub",
                fields: ["tenantId": .string("contoso.onmicrosoft.com"),
                         "clientId": .string("11111111-2222-3333-4444-555555555555"),
                         "subscriptionId": .string("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"), "cloud": .string("usgov")],
                secrets: ["clientSecret": SecretValue("s")])
        case .awsAccessKey:
            ConnectionDraft(
                kind: kind, name: "aws-main",
                fields: ["accountId": .string("123456789012"), "accessKeyId": .string("AKIAIOSFODNN7EXAMPLE"),
                         "region": .string("eu-west-1")],
                secrets: ["secretAccessKey": SecretValue("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")])
        case .awsAssumeRole:
            ConnectionDraft(
                kind: kind, name: "aws-role",
                fields: ["roleArn": .string("arn:aws:iam::123456789012:role/hitch-read"),
                         "sessionName": .string("hitch"), "via": .string("aws-main")])
        case .awsCrossAccount:
            ConnectionDraft(
                kind: kind, name: "aws-partner",
                fields: ["roleArn": .string("arn:aws:iam::210987654321:role/partner"), "via": .string("aws-main")],
                generate: ["externalId"])
        case .gcp:
            ConnectionDraft(
                kind: kind, name: "gcp-proj", fields: ["projectId": .string("proj-one")],
                secrets: ["serviceAccountKey": SecretValue(gcpKey)])
        case .apiKey:
            ConnectionDraft(kind: kind, name: "agents", fields: ["tokenType": .string("connector")])
        }
    }

    @Test(arguments: ConnectionKind.allCases)
    func acceptsAValidDraft(kind: ConnectionKind) {
        let report = ConnectionValidator.validate(Self.valid(kind))
        #expect(report.errors == [:])
    }

    @Test(arguments: [
        (ConnectionKind.vsphere, "vcenter", FieldValue.string("https://vc01/sdk")),
        (.vsphere, "vcenter", .string("vc01:99999")),
        (.vsphere, "thumbprint", .string("abc")),
        (.vsphere, "insecure", .string("yes")),
        (.vsphere, "datacenter", .string(" DC1")),
        (.nutanix, "endpoint", .string("prism central")),
        (.azure, "clientId", .string("not-a-guid")),
        (.azure, "tenantId", .string("contoso")),
        (.azure, "cloud", .string("mars")),
        (.awsAccessKey, "accountId", .string("12345678901")),
        (.awsAccessKey, "accountId", .string("12345678901a")),
        (.awsAccessKey, "accessKeyId", .string("AKIA123")),
        (.awsAccessKey, "region", .string("Europe")),
        (.awsAssumeRole, "roleArn", .string("arn:aws:iam::12345:role/x")),
        (.awsAssumeRole, "roleArn", .string("arn:aws:s3:::bucket")),
        (.awsAssumeRole, "sessionName", .string("a")),
        (.awsAssumeRole, "via", .string("Not_A_Name")),
        (.gcp, "projectId", .string("P")),
        (.apiKey, "tokenType", .string("root")),
    ])
    func rejectsABadField(kind: ConnectionKind, field: String, value: FieldValue) {
        var draft = Self.valid(kind)
        draft.fields[field] = value
        let report = ConnectionValidator.validate(draft)
        #expect(report.errors.keys.sorted() == [field])
    }

    @Test func acceptsHostForms() {
        for host in ["vc01", "vc01.corp.example", "10.1.2.3", "10.1.2.3:443", "[fe80::1]", "[fe80::1]:8443", "vc-01.example:9440"] {
            var draft = Self.valid(.vsphere)
            draft.fields["vcenter"] = .string(host)
            #expect(ConnectionValidator.validate(draft).errors == [:], "\(host)")
        }
    }

    @Test func requiresEachRequiredField() {
        for kind in ConnectionKind.allCases {
            for field in kind.schema.fields where field.isRequired && field.origin == .supplied {
                var draft = Self.valid(kind)
                draft.fields[field.name] = nil
                draft.secrets[field.name] = nil
                #expect(ConnectionValidator.validate(draft).errors[field.name] == "is required", "\(kind) \(field.name)")
            }
        }
    }

    @Test func namesFollowTheFormat() {
        for good in ["ab", "prod-vcenter", "0a", String(repeating: "a", count: 63)] {
            #expect(NameRule.problem(with: good) == nil, "\(good)")
        }
        for bad in ["a", "-ab", "Prod", "prod_vc", "prod vc", String(repeating: "a", count: 64), ""] {
            #expect(NameRule.problem(with: bad) != nil, "\(bad)")
        }
    }

    @Test func tagsAreLimited() {
        #expect(TagRule.problem(with: ["a", "b:c", "d.e", "f_g", "h-i"]) == nil)
        #expect(TagRule.problem(with: ["1", "2", "3", "4", "5", "6"]) != nil)
        #expect(TagRule.problem(with: ["bad tag"]) != nil)
        #expect(TagRule.problem(with: [String(repeating: "t", count: 65)]) != nil)
        #expect(TagRule.problem(with: ["same", "same"]) != nil)
    }

    @Test func descriptionLengthIsLimited() {
        var draft = Self.valid(.vsphere)
        draft.description = String(repeating: "d", count: 1025)
        #expect(ConnectionValidator.validate(draft).errors.keys.sorted() == ["description"])
    }

    @Test func unknownAndMisplacedFieldsAreRefused() {
        var draft = Self.valid(.vsphere)
        draft.fields["region"] = .string("eu-west-1")
        draft.fields["password"] = .string("in the open")
        let errors = ConnectionValidator.validate(draft).errors
        #expect(errors["region"] == "is not a field of kind vsphere")
        #expect(errors["password"] == "is a secret field: send it as a secret")
    }

    @Test func inventoryNamesKeepTheirCase() {
        var draft = Self.valid(.vsphere)
        draft.fields["datacenter"] = .string("DataCenter-Éast")
        #expect(ConnectionValidator.validate(draft).isValid)
        #expect(draft.fields["datacenter"] == .string("DataCenter-Éast"))
    }

    @Test func secretRulesNeverQuoteTheSecret() {
        var draft = Self.valid(.awsAccessKey)
        draft.secrets["secretAccessKey"] = SecretValue("canary-short-secret")
        let errors = ConnectionValidator.validate(draft).errors
        #expect(errors["secretAccessKey"] != nil)
        #expect(!errors.values.contains { $0.contains("canary") })
    }

    @Test func apiKeyIsGeneratedOnly() {
        var draft = Self.valid(.apiKey)
        draft.secrets["key"] = SecretValue("chosen-by-user")
        #expect(ConnectionValidator.validate(draft).errors["key"] == "is generated by Hitch and cannot be supplied")
    }

    @Test func externalIdIsSuppliedOrGenerated() {
        var draft = Self.valid(.awsCrossAccount)
        draft.generate = []
        #expect(ConnectionValidator.validate(draft).errors["externalId"] == "is required")
        draft.secrets["externalId"] = SecretValue("partner-external-id")
        #expect(ConnectionValidator.validate(draft).isValid)
        draft.generate = ["externalId"]
        #expect(ConnectionValidator.validate(draft).errors["externalId"] != nil)
    }

    @Test func gcpKeyIsChecked() {
        var draft = Self.valid(.gcp)
        for bad in ["not json", #"{"type": "authorized_user"}"#,
                    #"{"type": "service_account", "client_email": "a@b", "token_uri": "https://t"}"#] {
            draft.secrets["serviceAccountKey"] = SecretValue(bad)
            #expect(ConnectionValidator.validate(draft).errors["serviceAccountKey"] != nil, "\(bad)")
        }
    }

    @Test func gcpKeyFromAnotherProjectWarns() {
        var draft = Self.valid(.gcp)
        draft.fields["projectId"] = .string("proj-two")
        let report = ConnectionValidator.validate(draft)
        #expect(report.isValid)
        #expect(report.warnings.count == 1)
        #expect(report.warnings.first?.contains("proj-one") == true)
    }

    @Test func insecureWarns() {
        var draft = Self.valid(.vsphere)
        #expect(ConnectionValidator.validate(draft).warnings.isEmpty)
        draft.fields["insecure"] = .boolean(true)
        let report = ConnectionValidator.validate(draft)
        #expect(report.isValid)
        #expect(report.warnings.contains { $0.contains("insecure") })
    }

    @Test func thumbprintAcceptsBothForms() {
        let hex = String(repeating: "ab", count: 32)
        let colons = stride(from: 0, to: 64, by: 2).map { _ in "AB" }.joined(separator: ":")
        #expect(Thumbprint.normalized(hex) == hex)
        #expect(Thumbprint.normalized(colons) == hex)
        #expect(Thumbprint.normalized("AB:" + hex) == nil)
    }

    @Test func secretValuesNeverPrint() {
        let secret = SecretValue("canary-value")
        #expect("\(secret)" == "********")
        #expect(String(reflecting: secret) == "********")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("canary"))
    }
}
