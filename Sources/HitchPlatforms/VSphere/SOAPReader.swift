import Foundation

/// A small, strict XML reader for SOAP answers, straight from bytes to `SOAPNode`s: elements, attributes, text,
/// the five named entities and character references, comments, processing instructions and CDATA. A DOCTYPE (and
/// with it any entity definition) is refused, and so is anything malformed. Elements are named by their local part
/// (`soapenv:Body` is `Body`); attributes keep their written names, without the `xmlns` declarations.
/// Foundation's XMLParser spent most of a large discovery's time creating strings and dictionaries per callback.
struct SOAPReader {
    private struct Malformed: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0
    /// Nesting deeper than this is refused, so a hostile answer cannot exhaust the stack.
    private static let maximumDepth = 256
    /// More elements than this are refused, so a hostile answer cannot make a tree that exhausts memory (a page
    /// of 500 VMs holds some 50,000).
    static let maximumNodes = 1_000_000
    private var nodes = 0

    static func parse(_ data: Data) -> SOAPNode? {
        data.withUnsafeBytes { raw -> SOAPNode? in
            let bytes = raw.bindMemory(to: UInt8.self)
            // Invalid UTF-8 is refused whole, rather than read with replacement characters.
            guard Self.isValidUTF8(bytes) else { return nil }
            var reader = SOAPReader(bytes: bytes)
            return try? reader.document()
        }
    }

    /// Whether `bytes` are well-formed UTF-8: no overlong forms, surrogates or scalars past U+10FFFF. Runs of ASCII
    /// are checked eight bytes at a time.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var index = 0
        while index < count {
            if index + 8 <= count,
                UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                index += 8
                continue
            }
            let byte = base[index]
            if byte < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            let minimum: UInt32
            switch byte {
            case 0xC2...0xDF: (length, scalar, minimum) = (2, UInt32(byte & 0x1F), 0x80)
            case 0xE0...0xEF: (length, scalar, minimum) = (3, UInt32(byte & 0x0F), 0x800)
            case 0xF0...0xF4: (length, scalar, minimum) = (4, UInt32(byte & 0x07), 0x10000)
            default: return false
            }
            guard index + length <= count else { return false }
            for offset in 1..<length {
                let next = base[index + offset]
                guard next & 0xC0 == 0x80 else { return false }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return false }
            index += length
        }
        return true
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func document() throws -> SOAPNode {
        var root: SOAPNode?
        while true {
            skipWhitespace()
            if position == bytes.count { break }
            if startsWith("<?") {
                try skip(past: "?>")
            } else if startsWith("<!--") {
                try skip(past: "-->")
            } else if startsWith("<") && !startsWith("<!") && root == nil {
                root = try element(depth: 0)
            } else {
                throw Malformed()
            }
        }
        guard let root else { throw Malformed() }
        return root
    }

    private mutating func element(depth: Int) throws -> SOAPNode {
        guard depth < Self.maximumDepth else { throw Malformed() }
        nodes += 1
        guard nodes <= Self.maximumNodes else { throw Malformed() }
        position += 1  // <
        let nameStart = position
        try skipName()
        let nameEnd = position
        var localStart = nameEnd
        while localStart > nameStart, bytes[localStart - 1] != UInt8(ascii: ":") { localStart -= 1 }
        let local = String(decoding: UnsafeBufferPointer(rebasing: bytes[localStart..<nameEnd]), as: UTF8.self)
        var node = SOAPNode(name: local, attributes: [:], children: [], text: "")
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw Malformed() }
            if startsWith("/>") {
                position += 2
                return node
            }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                break
            }
            let attribute = try name()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { throw Malformed() }
            position += 1
            skipWhitespace()
            let value = try quoted()
            if attribute != "xmlns" && !attribute.hasPrefix("xmlns:") { node.attributes[attribute] = value }
        }
        var text: [UInt8] = []
        // Most leaves hold one run of text without entities: it becomes the node's text straight from the buffer.
        var plain: Range<Int>?
        while true {
            guard position < bytes.count else { throw Malformed() }
            if bytes[position] != UInt8(ascii: "<") {
                let start = position
                if text.isEmpty, plain == nil, let end = plainRun(from: start) {
                    plain = start..<end
                    position = end
                } else {
                    if let run = plain {
                        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run]))
                        plain = nil
                    }
                    try characters(into: &text, until: UInt8(ascii: "<"))
                }
            } else if startsWith("</") {
                position += 2
                let closing = position
                try skipName()
                guard position - closing == nameEnd - nameStart,
                    memcmp(bytes.baseAddress! + closing, bytes.baseAddress! + nameStart, nameEnd - nameStart) == 0
                else { throw Malformed() }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else { throw Malformed() }
                position += 1
                if let run = plain, text.isEmpty {
                    node.text = String(decoding: UnsafeBufferPointer(rebasing: bytes[run]), as: UTF8.self)
                } else {
                    node.text = String(decoding: text, as: UTF8.self)
                }
                return node
            } else if startsWith("<!--") {
                try skip(past: "-->")
            } else if startsWith("<![CDATA[") {
                if let run = plain {
                    text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run]))
                    plain = nil
                }
                position += 9
                let start = position
                try skip(past: "]]>")
                text.append(contentsOf: bytes[start..<(position - 3)])
            } else if startsWith("<?") {
                try skip(past: "?>")
            } else if startsWith("<!") {
                throw Malformed()
            } else {
                node.children.append(try element(depth: depth + 1))
            }
        }
    }

    /// The end of the text starting at `start` when it runs to the next `<` without an entity; nil otherwise.
    private func plainRun(from start: Int) -> Int? {
        var end = start
        while end < bytes.count {
            switch bytes[end] {
            case UInt8(ascii: "<"): return end
            case UInt8(ascii: "&"): return nil
            default: end += 1
            }
        }
        return nil
    }

    /// An attribute's name, as written.
    private mutating func name() throws -> String {
        let start = position
        try skipName()
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// Moves past a name; an empty one is malformed.
    private mutating func skipName() throws {
        let start = position
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "/"),
                UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "<"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard position > start else { throw Malformed() }
                return
            default:
                position += 1
            }
        }
        throw Malformed()
    }

    private mutating func quoted() throws -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
            throw Malformed()
        }
        let quote = bytes[position]
        position += 1
        var value: [UInt8] = []
        try characters(into: &value, until: quote)
        guard position < bytes.count else { throw Malformed() }
        position += 1
        return String(decoding: value, as: UTF8.self)
    }

    /// Text up to `end` (not consumed), with entities and character references replaced.
    private mutating func characters(into text: inout [UInt8], until end: UInt8) throws {
        var start = position
        while position < bytes.count, bytes[position] != end {
            if bytes[position] == UInt8(ascii: "<") { throw Malformed() }
            if bytes[position] == UInt8(ascii: "&") {
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
                try entity(into: &text)
                start = position
            } else {
                position += 1
            }
        }
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
    }

    private mutating func entity(into text: inout [UInt8]) throws {
        let start = position + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: ";"), end - start < 12 { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: ";") else { throw Malformed() }
        let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        position = end + 1
        switch name {
        case "lt": text.append(UInt8(ascii: "<"))
        case "gt": text.append(UInt8(ascii: ">"))
        case "amp": text.append(UInt8(ascii: "&"))
        case "quot": text.append(UInt8(ascii: "\""))
        case "apos": text.append(UInt8(ascii: "'"))
        default:
            let scalar: UInt32?
            if name.hasPrefix("#x") {
                scalar = UInt32(name.dropFirst(2), radix: 16)
            } else if name.hasPrefix("#") {
                scalar = UInt32(name.dropFirst(1), radix: 10)
            } else {
                scalar = nil
            }
            // Only XML's characters: no NUL or other control character but tab, line feed and carriage return.
            guard let scalar, scalar >= 0x20 || [0x9, 0xA, 0xD].contains(scalar), scalar != 0xFFFE, scalar != 0xFFFF,
                let character = Unicode.Scalar(scalar)
            else { throw Malformed() }
            text.append(contentsOf: Array(String(Character(character)).utf8))
        }
    }

    private func startsWith(_ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + position, prefix.utf8Start, count) == 0
    }

    private mutating func skip(past terminator: StaticString) throws {
        while position < bytes.count {
            if startsWith(terminator) {
                position += terminator.utf8CodeUnitCount
                return
            }
            position += 1
        }
        throw Malformed()
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }
}
