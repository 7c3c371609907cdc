import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

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

    func all(_ localName: String) -> [SOAPNode] {
        children.flatMap { ($0.name == localName ? [$0] : []) + $0.all(localName) }
    }

    func child(_ localName: String) -> SOAPNode? { children.first { $0.name == localName } }

    static func parse(_ data: Data) -> SOAPNode? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
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

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [SOAPNode] = []
    var root: SOAPNode?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        stack.append(SOAPNode(name: elementName, attributes: attributes, children: [], text: ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let node = stack.popLast() else { return }
        if stack.isEmpty { root = node } else { stack[stack.count - 1].children.append(node) }
    }
}
