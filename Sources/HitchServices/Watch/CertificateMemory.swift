import HitchDomain
import HitchStorage

/// Which connections remember the certificate they first passed with: those that reach a server the user names
/// (vCenter, Prism) without a pinned thumbprint. A pin is the user's own choice and decides alone; the clouds'
/// endpoints change certificates often and are judged by the system's trust.
enum CertificateMemory {
    static let kinds: Set<ConnectionKind> = [.vsphere, .nutanix]

    static func applies(to record: ConnectionRecord) -> Bool {
        applies(kind: record.kind, fields: record.fields)
    }

    static func applies(kind: ConnectionKind, fields: [String: FieldValue]) -> Bool {
        guard kinds.contains(kind) else { return false }
        if case .string(let pin)? = fields["thumbprint"], !pin.isEmpty { return false }
        return true
    }
}
