import HitchDomain
import Testing

/// Which fields are destination fields, and when a change of them counts: by what a value means, not how it is
/// written.
@Suite struct ConnectionDestinationTests {
    @Test func everyKindNamesItsDestinationFields() {
        let names = Dictionary(uniqueKeysWithValues: ConnectionKind.allCases.map { kind in
            (kind, kind.schema.destinationFields.map(\.name))
        })
        #expect(names[.vsphere] == ["vcenter", "insecure", "thumbprint"])
        #expect(names[.nutanix] == ["endpoint", "insecure", "thumbprint"])
        #expect(names[.azure] == ["authorityHost", "armEndpoint", "graphEndpoint"])
        #expect(names[.awsAccessKey] == ["stsEndpoint"])
        #expect(names[.awsAssumeRole] == ["via"])
        #expect(names[.awsCrossAccount] == ["via"])
        #expect(names[.gcp] == ["apiEndpoint"])
        #expect(names[.apiKey] == [])
        #expect(ConnectionKind.allCases.allSatisfy { $0.schema.destinationFields.allSatisfy(\.isIdentity) })
    }

    /// graphEndpoint came after azure secrets were bound: unset, a binding is what it was; set, it is bound.
    @Test func aFieldAddedLaterBindsOnlyOnceSet() {
        let fields: [String: FieldValue] = ["tenantId": .string("contoso.onmicrosoft.com"), "armEndpoint": .string("https://arm.example")]
        let unset = ConnectionDestination(kind: .azure, fields: fields)
        #expect(!unset.canonical.contains("graphEndpoint") && unset.canonical.contains("armEndpoint"))
        var withGraph = fields
        withGraph["graphEndpoint"] = .string("https://graph.example")
        #expect(ConnectionDestination(kind: .azure, fields: withGraph).canonical != unset.canonical)
        #expect(ConnectionDestination.changedFields(of: .azure, from: fields, to: withGraph) == ["graphEndpoint"])
    }

    @Test func sameMeaningIsNoChange() {
        let stored: [String: FieldValue] = [
            "vcenter": .string("vc01"), "thumbprint": .string(String(repeating: "ab", count: 32)),
        ]
        let rewritten: [String: FieldValue] = [
            "vcenter": .string("vc01"), "insecure": .boolean(false),
            "thumbprint": .string(Array(repeating: "AB", count: 32).joined(separator: ":")),
        ]
        #expect(ConnectionDestination.changedFields(of: .vsphere, from: stored, to: rewritten).isEmpty)
        #expect(ConnectionDestination(kind: .vsphere, fields: stored) == ConnectionDestination(kind: .vsphere, fields: rewritten))
        let insecure = stored.merging(["insecure": .boolean(true)]) { $1 }
        #expect(ConnectionDestination.changedFields(of: .vsphere, from: stored, to: insecure) == ["insecure"])
        var cleared = stored
        cleared["thumbprint"] = nil
        #expect(ConnectionDestination.changedFields(of: .vsphere, from: stored, to: cleared) == ["thumbprint"])
    }

    @Test func theViaConnectionsDestinationIsPartOfIt() {
        let fields: [String: FieldValue] = ["via": .string("key")]
        let viaHere = ConnectionDestination(kind: .awsAccessKey, fields: ["stsEndpoint": .string("https://sts.example")])
        let viaThere = ConnectionDestination(kind: .awsAccessKey, fields: ["stsEndpoint": .string("https://sts.other")])
        #expect(
            ConnectionDestination(kind: .awsCrossAccount, fields: fields, via: viaHere)
                != ConnectionDestination(kind: .awsCrossAccount, fields: fields, via: viaThere))
        #expect(ConnectionDestination(kind: .awsCrossAccount, fields: fields, via: nil) != ConnectionDestination(kind: .awsCrossAccount, fields: fields, via: viaHere))
    }

    @Test func aValueCannotPassForAnotherField() {
        let one = ConnectionDestination(kind: .azure, fields: ["authorityHost": .string("https://a;armEndpoint=x")])
        let two = ConnectionDestination(kind: .azure, fields: ["authorityHost": .string("https://a"), "armEndpoint": .string("x")])
        #expect(one != two)
    }
}
