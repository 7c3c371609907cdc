import Foundation

/// An `application/x-www-form-urlencoded` body as the local platform servers read it: its pairs in order.
enum FormFields {
    static func pairs(_ body: String) -> [(String, String)] {
        body.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    static func dictionary(_ body: String) -> [String: String] {
        Dictionary(pairs(body), uniquingKeysWith: { $1 })
    }
}
