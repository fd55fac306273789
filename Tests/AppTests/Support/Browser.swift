@testable import App
import Foundation
import NIOCore
import Vapor
import VaporTesting

/// A minimal browser over VaporTesting: keeps cookies, reads the CSRF token from the last page,
/// posts forms. Tests drive the HTML console through it as a person would.
final class Browser: @unchecked Sendable {
    let app: Application
    var cookies: [String: String] = [:]
    private(set) var lastBody = ""
    /// Sent with every request (`X-Forwarded-For`, to stand at another address behind a proxy).
    var extraHeaders = HTTPHeaders()

    /// When set, requests go through a real socket and HTTP parser (streamed bodies and all)
    /// to a server on this port, with redirects not followed.
    let livePort: Int?

    init(_ app: Application) {
        self.app = app
        self.livePort = nil
    }

    init(live app: Application, port: Int) {
        self.app = app
        self.livePort = port
    }

    /// The `csrf_token` of the last page rendered.
    var csrfToken: String? { Self.hiddenValue(named: "csrf_token", in: lastBody) }

    @discardableResult
    func get(_ path: String, headers: HTTPHeaders = [:]) async throws -> BrowserResponse {
        try await send(.GET, path, headers: headers, body: nil)
    }

    /// Posts a urlencoded form; adds the page's CSRF token unless the form names its own.
    @discardableResult
    func post(_ path: String, _ form: [String: String] = [:], csrf: Bool = true) async throws -> BrowserResponse {
        var fields = form
        if csrf, fields["csrf_token"] == nil, let token = csrfToken { fields["csrf_token"] = token }
        let body = Self.formEncode(fields)
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        return try await send(.POST, path, headers: headers, body: ByteBuffer(string: body))
    }

    /// Posts multipart/form-data with one file part, as a browser's upload form does.
    @discardableResult
    func postFile(_ path: String, _ form: [String: String], file: (field: String, filename: String, contentType: String, data: Data)) async throws -> BrowserResponse {
        var fields = form
        if fields["csrf_token"] == nil, let token = csrfToken { fields["csrf_token"] = token }
        let boundary = "----GatehouseTestBoundary\(UUID().uuidString.prefix(8))"
        var body = ByteBuffer()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.filename)\"\r\nContent-Type: \(file.contentType)\r\n\r\n")
        body.writeBytes(file.data)
        body.writeString("\r\n--\(boundary)--\r\n")
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "multipart/form-data; boundary=\(boundary)")
        return try await send(.POST, path, headers: headers, body: body)
    }

    func send(_ method: HTTPMethod, _ path: String, headers: HTTPHeaders, body: ByteBuffer?) async throws -> BrowserResponse {
        var headers = headers
        for (name, value) in extraHeaders { headers.replaceOrAdd(name: name, value: value) }
        if !cookies.isEmpty {
            headers.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; "))
        }
        let response: BrowserResponse
        if let livePort {
            let reply = try await app.client.send(method, headers: headers, to: URI(string: "http://127.0.0.1:\(livePort)\(path)")) { request in
                request.body = body
            }
            response = BrowserResponse(status: reply.status, headers: reply.headers, body: reply.body ?? ByteBuffer())
        } else {
            let reply = try await app.testing().sendRequest(method, path, headers: headers, body: body)
            response = BrowserResponse(status: reply.status, headers: reply.headers, body: reply.body)
        }
        for line in response.headers[.setCookie] {
            let pair = line.split(separator: ";", maxSplits: 1)[0]
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            if value.isEmpty || line.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if response.headers.contentType?.subType == "html" {
            lastBody = response.body.string
        }
        return response
    }

    static func formEncode(_ fields: [String: String]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: allowed)!)=\(value.addingPercentEncoding(withAllowedCharacters: allowed)!)"
        }.joined(separator: "&")
    }

    static func hiddenValue(named name: String, in html: String) -> String? {
        guard let nameRange = html.range(of: "name=\"\(name)\"") else { return nil }
        // The value attribute may stand before or after the name inside the same tag.
        let tagStart = html[..<nameRange.lowerBound].range(of: "<", options: .backwards)?.lowerBound ?? nameRange.lowerBound
        let tagEnd = html[nameRange.upperBound...].range(of: ">")?.upperBound ?? html.endIndex
        let tag = html[tagStart..<tagEnd]
        guard let valueStart = tag.range(of: "value=\"")?.upperBound,
              let valueEnd = tag[valueStart...].range(of: "\"")?.lowerBound else { return nil }
        return String(tag[valueStart..<valueEnd])
    }
}

extension Browser {
    /// Registers and stays signed in.
    @discardableResult
    /// Creates an application on the console's form; returns its id and the settings page,
    /// which shows the client secret once.
    func createApplication(name: String = "My App", uris: String = "https://app.example.com/cb") async throws -> (id: String, page: BrowserResponse) {
        try await get("/developers/applications/new")
        let res = try await post("/developers/applications", ["name": name, "description": "Does things", "redirect_uris": uris])
        guard res.status == .seeOther, let location = res.headers.first(name: .location) else {
            throw Abort(.internalServerError, reason: "creating \(name) answered \(res.status.code)")
        }
        return (String(location.split(separator: "/").last!), try await get(location))
    }

    /// The value a page shows in `<code data-copy="name">` (SPEC §3.3).
    static func copyable(_ name: String, in html: String) -> String? {
        guard let start = html.range(of: "<code data-copy=\"\(name)\">") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }

    func register(_ username: String, email: String? = nil, password: String = "correct horse battery") async throws -> BrowserResponse {
        try await get("/register")
        return try await post("/register", ["username": username, "email": email ?? "\(username)@example.com", "password": password])
    }

    @discardableResult
    func signIn(_ username: String, password: String = "correct horse battery", next: String? = nil) async throws -> BrowserResponse {
        try await get(next.map { "/login?next=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? "/login")
        var form = ["username": username, "password": password]
        if let next { form["next"] = next }
        return try await post("/login", form)
    }
}

/// What a `Browser` request got back.
struct BrowserResponse: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: ByteBuffer
}
