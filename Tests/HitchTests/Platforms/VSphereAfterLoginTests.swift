import Foundation
import HitchDomain
import HitchPlatforms
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// A vCenter that lets the login through and then fails the inventory read: it stopped (no answer), or it answered a
/// fault. Each is the stage's own failure, never the generic "the test could not run". The schedule met the first
/// when the simulator stopped between a check's login and its read.
@Suite final class VSphereAfterLoginTests: Sendable {
    enum AfterLogin: Sendable { case silence, fault }

    /// Ends the silence once the test has its report, so that the server's shutdown does not wait for it.
    let released = Mutex(false)

    func vcenter(_ afterLogin: AfterLogin) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/sdk") { request, _ -> Response in
            let body = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let answer: String
            if body.contains("RetrieveServiceContent") {
                answer = Self.serviceContent
            } else if body.contains("<Login ") {
                answer = "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>s1</key></returnval></LoginResponse>"
            } else if afterLogin == .silence {
                for _ in 0..<600 where !self.released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(50)) }
                answer = ""
            } else {
                let fault = "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>busy</faultstring>"
                    + "<detail><SystemErrorFault xsi:type=\"SystemError\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"/></detail></soapenv:Fault>"
                return Response(
                    status: .internalServerError, headers: [.contentType: "text/xml"],
                    body: .init(byteBuffer: ByteBuffer(string: Self.envelope(fault))))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/xml"], body: .init(byteBuffer: ByteBuffer(string: Self.envelope(answer))))
        }
        return router
    }

    static func envelope(_ body: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
            + "<soapenv:Body>\(body)</soapenv:Body></soapenv:Envelope>"
    }

    static let serviceContent = """
        <RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder>\
        <propertyCollector type="PropertyCollector">propertyCollector</propertyCollector>\
        <viewManager type="ViewManager">ViewManager</viewManager><about><apiVersion>8.0</apiVersion></about>\
        <sessionManager type="SessionManager">SessionManager</sessionManager></returnval></RetrieveServiceContentResponse>
        """

    func test(_ afterLogin: AfterLogin) async throws -> TestReport {
        let reports = Mutex<TestReport?>(nil)
        try await LocalTLSServer.run(vcenter(afterLogin)) { server in
            let target = VSphereTarget(
                vcenter: "127.0.0.1:\(server.port)", username: "svc", password: SecretValue("pw"), objects: ["datacenter": "DC0"],
                insecure: false, thumbprint: server.thumbprint)
            // Long enough for the login on a busy machine; the silence lasts until the report is in.
            let report = await VSphereTester.test(target, timeout: .seconds(5))
            reports.withLock { $0 = report }
            released.withLock { $0 = true }
        }
        return try #require(reports.withLock { $0 })
    }

    @Test func noAnswerAfterTheLoginIsATimeoutOfTheRead() async throws {
        let report = try await test(.silence)
        #expect(report.stages.first { $0.stage == .authenticate }?.passed == true, "\(report)")
        #expect(report.failedStage?.stage == .authorize && report.failedStage?.failure == .timeout, "\(report)")
    }

    @Test func aFaultAfterTheLoginIsNamed() async throws {
        let report = try await test(.fault)
        #expect(report.failedStage?.stage == .authorize && report.failedStage?.failure == .error, "\(report)")
        #expect(report.failedStage?.message.contains("SystemError") == true, "\(report)")
    }
}
