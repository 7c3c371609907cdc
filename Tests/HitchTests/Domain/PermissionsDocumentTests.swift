import Foundation
import HitchDomain
import Testing

/// docs/permissions.md lists what the preflights check, entry by entry: a change to a list that the document does
/// not follow fails here.
@Suite struct PermissionsDocumentTests {
    @Test func everyCheckedEntryIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let document = try String(contentsOf: root.appendingPathComponent("docs/permissions.md"), encoding: .utf8)
        for kind in ConnectionKind.allCases {
            for requirement in CloudPermissions.requirements(of: kind) {
                #expect(document.contains("| `\(requirement.id)` |"), "\(kind.rawValue): \(requirement.id) is not in docs/permissions.md")
            }
        }
        for id in CloudPermissions.azureAdministrative + CloudPermissions.gcpAdministrative + CloudPermissions.awsAdministrative
            + PrivilegeRequirement.administrative
        {
            #expect(document.contains(id), "\(id) is not in docs/permissions.md")
        }
    }
}
