import ArgumentParser
import HitchDomain
import Testing

@testable import HitchCLI

@Suite struct KindFlagsTests {
    @Test func everyPlainFieldHasAFlagNamedAfterIt() throws {
        for kind in ConnectionKind.allCases {
            for field in kind.schema.plainFields {
                let flag = "--" + KindFlags.flagName(field.name)
                let value = field.type == .boolean ? [flag] : [flag, "x"]
                let flags = try KindFlags.parse(value)
                let values = try flags.values(for: kind)
                #expect(values.fields[field.name] != nil, "\(kind.rawValue) \(flag)")
            }
        }
    }

    @Test func aFlagOfAnotherKindIsAUsageError() throws {
        let flags = try KindFlags.parse(["--region", "eu-west-1"])
        #expect(throws: CLIError.self) { try flags.values(for: .vsphere) }
        let generate = try KindFlags.parse(["--generate-external-id"])
        #expect(try generate.values(for: .awsCrossAccount).generate == ["externalId"])
        #expect(throws: CLIError.self) { try generate.values(for: .awsAccessKey) }
    }

    @Test func onlyOneSecretReadsStdin() {
        #expect(throws: (any Error).self) { try KindFlags.parse(["--password-stdin", "--client-secret-stdin"]) }
        #expect(throws: (any Error).self) { try KindFlags.parse(["--external-id-stdin", "--generate-external-id"]) }
    }

    @Test func flagNamesAreKebabCase() {
        #expect(KindFlags.flagName("resourcePool") == "resource-pool")
        #expect(KindFlags.flagName("accessKeyId") == "access-key-id")
        #expect(KindFlags.flagName("vcenter") == "vcenter")
    }

    @Test func httpStatusesMapToExitCodes() {
        #expect(HitchExitCode(httpStatus: 400) == .usage)
        #expect(HitchExitCode(httpStatus: 401) == .notAllowed)
        #expect(HitchExitCode(httpStatus: 403) == .notAllowed)
        #expect(HitchExitCode(httpStatus: 404) == .notFound)
        #expect(HitchExitCode(httpStatus: 409) == .refused)
        #expect(HitchExitCode(httpStatus: 412) == .refused)
        #expect(HitchExitCode(httpStatus: 500) == .error)
    }
}
