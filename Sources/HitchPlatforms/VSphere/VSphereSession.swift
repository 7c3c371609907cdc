import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A reference to a managed object: its type and id (`Datacenter`, `datacenter-2`).
struct ManagedObjectReference: Sendable, Equatable {
    let type: String
    let value: String

    var xml: String { "type=\"\(SOAPNode.escape(type))\">\(SOAPNode.escape(value))" }
}

/// A fault vSphere answered with: its type (`InvalidLogin`, `NoPermission`, `NotAuthenticated`, ...).
struct VSphereFault: Error, Sendable {
    let type: String
}

/// A session with a vCenter over the SOAP API at /sdk (urn:vim25): the calls Hitch makes, written by hand. One
/// connection carries concurrent callers' calls one after another.
final class VSphereSession: Sendable {
    private let connection: PolicyHTTPSConnection
    private let cookie = NIOLockedValueBox<String?>(nil)

    struct ServiceContent: Sendable {
        let rootFolder: ManagedObjectReference
        let propertyCollector: ManagedObjectReference
        let viewManager: ManagedObjectReference
        let sessionManager: ManagedObjectReference
        /// Absent on a standalone ESXi host's answer in some versions; preflight needs it.
        let authorizationManager: ManagedObjectReference?
        let apiVersion: String
    }

    init(connection: PolicyHTTPSConnection) {
        self.connection = connection
    }

    func shutdown() {
        connection.close()
    }

    var currentCookie: String? { cookie.withLockedValue { $0 } }

    /// A session that presents an earlier session's cookie: a test's way to see whether the platform still honours it.
    init(connection: PolicyHTTPSConnection, cookie: String) {
        self.connection = connection
        self.cookie.withLockedValue { $0 = cookie }
    }

    func retrieveServiceContent() async throws -> ServiceContent {
        let body = try await call(
            "RetrieveServiceContent", this: ManagedObjectReference(type: "ServiceInstance", value: "ServiceInstance"), "")
        guard let value = body.first("returnval"),
            let root = value.child("rootFolder").flatMap(Self.reference),
            let collector = value.child("propertyCollector").flatMap(Self.reference),
            let views = value.child("viewManager").flatMap(Self.reference),
            let sessions = value.child("sessionManager").flatMap(Self.reference)
        else { throw VSphereFault(type: "UnexpectedResponse") }
        return ServiceContent(
            rootFolder: root, propertyCollector: collector, viewManager: views, sessionManager: sessions,
            authorizationManager: value.child("authorizationManager").flatMap(Self.reference),
            apiVersion: value.first("apiVersion")?.text ?? "")
    }

    func login(_ content: ServiceContent, username: String, password: String) async throws {
        _ = try await call(
            "Login", this: content.sessionManager,
            "<userName>\(SOAPNode.escape(username))</userName><password>\(SOAPNode.escape(password))</password>")
    }

    func logout(_ content: ServiceContent) async {
        _ = try? await call("Logout", this: content.sessionManager, "")
    }

    /// The names of every object of `type` under `container`, through a ContainerView and RetrievePropertiesEx.
    func names(
        of type: String, under container: ManagedObjectReference, _ content: ServiceContent
    ) async throws -> [(ManagedObjectReference, String)] {
        try await retrieve([type], properties: ["name"], under: container, content) { object in
            object.properties["name"].map { (object.reference, $0.text) }
        }
    }

    /// One object read through the PropertyCollector, with the properties asked for that it has.
    struct RetrievedObject: Sendable {
        let reference: ManagedObjectReference
        let properties: [String: SOAPNode]
    }

    /// Every object of `types` under `container` with `properties`: one ContainerView, RetrievePropertiesEx, then
    /// ContinueRetrievePropertiesEx while the server pages (at most `pageSize` objects a page), and the view
    /// destroyed whatever happens. Each page's objects are mapped by `map` as it arrives (so that only one page's
    /// XML is held at a time); `onPage` hears how many objects have been read after each page, and may throw to stop.
    func retrieve<Mapped: Sendable>(
        _ types: [String], properties: [String], under container: ManagedObjectReference, _ content: ServiceContent,
        pageSize: Int? = nil, onPage: @Sendable (Int) async throws -> Void = { _ in },
        map: @Sendable (RetrievedObject) -> Mapped?
    ) async throws -> [Mapped] {
        let typeList = types.map { "<type>\(SOAPNode.escape($0))</type>" }.joined()
        let view = try await call(
            "CreateContainerView", this: content.viewManager,
            "<container \(container.xml)</container>\(typeList)<recursive>true</recursive>")
        guard let viewReference = view.first("returnval").flatMap(Self.reference) else {
            throw VSphereFault(type: "UnexpectedResponse")
        }
        let paths = properties.map { "<pathSet>\(SOAPNode.escape($0))</pathSet>" }.joined()
        let propertySpecs = types.map { "<propSet><type>\(SOAPNode.escape($0))</type>\(paths)</propSet>" }.joined()
        let spec = """
            <specSet>\(propertySpecs)\
            <objectSet><obj \(viewReference.xml)</obj><skip>true</skip>\
            <selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type><path>view</path>\
            <skip>false</skip></selectSet></objectSet></specSet>\
            <options>\(pageSize.map { "<maxObjects>\($0)</maxObjects>" } ?? "")</options>
            """
        do {
            let objects = try await pages(spec, content, onPage: onPage, map: map)
            _ = try? await call("DestroyView", this: viewReference, "")
            return objects
        } catch {
            _ = try? await call("DestroyView", this: viewReference, "")
            throw error
        }
    }

    /// The `properties` of one object.
    func properties(of object: ManagedObjectReference, _ properties: [String], _ content: ServiceContent) async throws
        -> [String: SOAPNode]
    {
        let paths = properties.map { "<pathSet>\(SOAPNode.escape($0))</pathSet>" }.joined()
        let spec = """
            <specSet><propSet><type>\(SOAPNode.escape(object.type))</type>\(paths)</propSet>\
            <objectSet><obj \(object.xml)</obj><skip>false</skip></objectSet></specSet><options></options>
            """
        let answer = try await call("RetrievePropertiesEx", this: content.propertyCollector, spec)
        return Self.objects(of: answer).first?.properties ?? [:]
    }

    /// RetrievePropertiesEx, then ContinueRetrievePropertiesEx for as long as the answer carries a token. The next
    /// page is asked for before this one is parsed, so the server prepares it while Hitch reads. When parsing or
    /// `onPage` throws, what remains is cancelled on the server.
    private func pages<Mapped: Sendable>(
        _ spec: String, _ content: ServiceContent, onPage: @Sendable (Int) async throws -> Void,
        map: @Sendable (RetrievedObject) -> Mapped?
    ) async throws -> [Mapped] {
        var objects: [Mapped] = []
        var body = try await send("RetrievePropertiesEx", this: content.propertyCollector, spec)
        while true {
            let token = Self.continuationToken(body)
            async let following = continuation(token, content)
            do {
                objects += Self.objects(of: try Self.answer(body)).compactMap(map)
                try await onPage(objects.count)
            } catch {
                // The page already asked for carries the token of what remains, if anything does.
                let next: Data?? = try? await following
                if let next = next ?? nil, let pending = Self.continuationToken(next) {
                    _ = try? await call(
                        "CancelRetrievePropertiesEx", this: content.propertyCollector, "<token>\(SOAPNode.escape(pending))</token>")
                }
                throw error
            }
            guard let next = try await following else { return objects }
            body = next
        }
    }

    private func continuation(_ token: String?, _ content: ServiceContent) async throws -> Data? {
        guard let token else { return nil }
        return try await send(
            "ContinueRetrievePropertiesEx", this: content.propertyCollector, "<token>\(SOAPNode.escape(token))</token>")
    }

    /// The token that continues a paged answer, found without parsing the page: `RetrieveResult` holds it as its
    /// first element (`<returnval><token>…</token><objects>…`), as the WSDL orders it and vCenter sends it.
    static func continuationToken(_ body: Data) -> String? {
        let head = body.prefix(2048)
        guard let value = head.range(of: Data("<returnval>".utf8)) else { return nil }
        let rest = head[value.upperBound...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\t") }
        guard rest.starts(with: Data("<token>".utf8)), let close = rest.range(of: Data("</token>".utf8)) else { return nil }
        let token = String(decoding: rest[(rest.startIndex + 7)..<close.lowerBound], as: UTF8.self)
        return token.isEmpty ? nil : token
    }

    /// The objects of a RetrievePropertiesEx or ContinueRetrievePropertiesEx answer (`returnval/objects`).
    private static func objects(of answer: SOAPNode) -> [RetrievedObject] {
        (answer.first("returnval")?.children("objects") ?? []).compactMap(retrievedObject)
    }

    private static func retrievedObject(_ node: SOAPNode) -> RetrievedObject? {
        guard let reference = node.child("obj").flatMap(Self.reference) else { return nil }
        var properties: [String: SOAPNode] = [:]
        for property in node.children("propSet") {
            if let name = property.child("name")?.text, let value = property.child("val") { properties[name] = value }
        }
        return RetrievedObject(reference: reference, properties: properties)
    }

    /// `InvalidLogin` from `<detail><InvalidLoginFault xsi:type="InvalidLogin"/>`, whichever part names it.
    private static func faultType(_ fault: SOAPNode) -> String {
        guard let detail = fault.first("detail")?.children.first else { return "ServerFault" }
        if let type = detail.attributes["xsi:type"] ?? detail.attributes["type"] {
            return String(type.split(separator: ":").last ?? Substring(type))
        }
        return detail.name.hasSuffix("Fault") ? String(detail.name.dropLast(5)) : detail.name
    }

    static func reference(_ node: SOAPNode) -> ManagedObjectReference? {
        guard let type = node.attributes["type"], !node.text.isEmpty else { return nil }
        return ManagedObjectReference(type: type, value: node.text)
    }

    /// One SOAP call; a fault is thrown as `VSphereFault` with its type, and never quotes the response body.
    func call(_ method: String, this: ManagedObjectReference, _ arguments: String) async throws -> SOAPNode {
        try Self.answer(try await send(method, this: this, arguments))
    }

    /// The parsed answer of a successful call's body; a fault in it is thrown.
    static func answer(_ body: Data) throws -> SOAPNode {
        guard let node = SOAPNode.parse(body) else { throw VSphereFault(type: "UnexpectedResponse") }
        // A fault is a child of the Body: looked for there, not in the whole (large) answer.
        if let fault = node.child("Body")?.child("Fault") { throw VSphereFault(type: Self.faultType(fault)) }
        return node
    }

    /// One SOAP call whose successful answer is returned unparsed; a failed one is parsed and thrown.
    func send(_ method: String, this: ManagedObjectReference, _ arguments: String) async throws -> Data {
        let envelope = """
            <?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope \
            xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" \
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><\(method) xmlns="urn:vim25">\
            <_this \(this.xml)</_this>\(arguments)</\(method)></soapenv:Body></soapenv:Envelope>
            """
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/xml; charset=utf-8")
        headers.add(name: "SOAPAction", value: "\"urn:vim25/6.5\"")
        if let cookie = cookie.withLockedValue({ $0 }) { headers.add(name: "Cookie", value: cookie) }
        let response = try await connection.send(.POST, path: "/sdk", headers: headers, body: ByteBuffer(string: envelope))
        for header in response.headers["Set-Cookie"] where header.hasPrefix("vmware_soap_session=") {
            cookie.withLockedValue { $0 = String(header.prefix { $0 != ";" }) }
        }
        let body = Data(response.body.readableBytesView)
        guard response.status == .ok else {
            _ = try Self.answer(body)
            throw VSphereFault(type: "HTTP\(response.status.code)")
        }
        return body
    }
}
