import Foundation
@testable import HitchPlatforms
import Testing

/// The XML reader for SOAP answers: what vCenter sends is read exactly, and anything else is refused whole.
struct SOAPReaderTests {
    static func parse(_ text: String) -> SOAPNode? { SOAPNode.parse(Data(text.utf8)) }

    @Test func readsElementsAttributesAndText() throws {
        let root = try #require(Self.parse("""
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment --><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>\
            <RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>7</token>\
            <objects><obj type='VirtualMachine'>vm-1</obj><propSet><name>name</name>\
            <val xsi:type="xsd:string">a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#233;&#x1F600;<![CDATA[<raw> & ]]></val>\
            </propSet><empty/><empty2 a="1" /></objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>
            """))
        #expect(root.name == "Envelope" && root.attributes.isEmpty, "prefixes and xmlns declarations are dropped")
        let body = try #require(root.child("Body"))
        let returnval = try #require(body.first("returnval"))
        #expect(returnval.child("token")?.text == "7")
        let object = try #require(returnval.children("objects").first)
        #expect(object.child("obj")?.attributes["type"] == "VirtualMachine" && object.child("obj")?.text == "vm-1")
        let value = try #require(object.first("val"))
        #expect(value.text == "a <b> & \"c\" 'd' é😀<raw> & ")
        #expect(value.attributes["xsi:type"] == "xsd:string")
        #expect(object.child("empty")?.children.isEmpty == true && object.child("empty2")?.attributes["a"] == "1")
        #expect(SOAPVSphere.token(of: "<returnval><token>7</token><objects/></returnval>") == "7")
        #expect(SOAPVSphere.token(of: "<returnval><objects/></returnval>") == nil)
    }

    @Test(arguments: [
        "", "   ", "<a>", "<a></b>", "<a><b></a></b>", "<a>&unknown;</a>", "<a>&#xZZ;</a>", "<a x=1/>", "<a x='1/>",
        "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "<a/><b/>", "<a><!DOCTYPE x></a>", "<a>1 < 2</a>", "<a><!-- open</a>",
        String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300),
    ])
    func refusesWhatIsNotWellFormed(text: String) {
        #expect(Self.parse(text) == nil, "\(text.prefix(40))")
    }
}

/// The token of a paged answer, read without parsing it.
enum SOAPVSphere {
    static func token(of text: String) -> String? { VSphereSession.continuationToken(Data(text.utf8)) }
}
