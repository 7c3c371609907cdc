import Foundation

/// A parsed XML element of a SOAP response: enough of a tree to read vSphere's answers by local name.
struct SOAPNode: Sendable {
    var name: String
    var attributes: [String: String]
    var children: [SOAPNode]
    var text: String

    /// The first descendant (depth first) with this local name.
    func first(_ localName: String) -> SOAPNode? {
        for child in children {
            if child.name == localName { return child }
            if let found = child.first(localName) { return found }
        }
        return nil
    }

    /// Every descendant with this local name, depth first.
    func all(_ localName: String) -> [SOAPNode] {
        var found: [SOAPNode] = []
        collect(localName, into: &found)
        return found
    }

    private func collect(_ localName: String, into found: inout [SOAPNode]) {
        for child in children {
            if child.name == localName { found.append(child) }
            child.collect(localName, into: &found)
        }
    }

    func child(_ localName: String) -> SOAPNode? { children.first { $0.name == localName } }

    /// The direct children with this local name.
    func children(_ localName: String) -> [SOAPNode] { children.filter { $0.name == localName } }

    static func parse(_ data: Data) -> SOAPNode? {
        data.isEmpty ? nil : SOAPReader.parse(data)
    }

    /// Text for an XML element's content or attribute.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
