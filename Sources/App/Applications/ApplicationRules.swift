import Foundation
import OAuth

/// One problem with one field, as the REST envelope and the forms report it (SPEC §3.4).
struct FieldProblem: Error, Equatable, Sendable {
    let path: String
    let code: String
    let message: String
}

/// The field rules of SPEC §3.1, in one place for the console and the REST API.
enum ApplicationRules {
    static let nameLength = 1...100
    static let descriptionMaxLength = 400
    static let urlMaxLength = 2048
    static let maxApplications = 25

    static func nameProblem(_ name: String) -> FieldProblem? {
        if name.isEmpty { return FieldProblem(path: "name", code: "REQUIRED", message: "Enter a name.") }
        if name.count > nameLength.upperBound {
            return FieldProblem(path: "name", code: "TOO_LONG", message: "Use at most 100 characters.")
        }
        if containsControlCharacters(name, allowingNewlines: false) {
            return FieldProblem(path: "name", code: "INVALID_CHARACTERS", message: "The name cannot contain control characters.")
        }
        return nil
    }

    static func descriptionProblem(_ description: String) -> FieldProblem? {
        if description.count > descriptionMaxLength {
            return FieldProblem(path: "description", code: "TOO_LONG", message: "Use at most 400 characters.")
        }
        if containsControlCharacters(description, allowingNewlines: true) {
            return FieldProblem(path: "description", code: "INVALID_CHARACTERS", message: "The description cannot contain control characters.")
        }
        return nil
    }

    /// Terms and privacy links are shown to users on the consent page: https only.
    static func policyURLProblem(_ url: String, path: String) -> FieldProblem? {
        if url.count > urlMaxLength {
            return FieldProblem(path: path, code: "TOO_LONG", message: "Use at most 2048 characters.")
        }
        guard url.lowercased().hasPrefix("https://"), let parsed = URL(string: url), let host = parsed.host, !host.isEmpty,
              !containsControlCharacters(url, allowingNewlines: false), RedirectURI.usesOnlyURICharacters(url)
        else {
            return FieldProblem(path: path, code: "INVALID_URL", message: "Enter an https:// URL.")
        }
        return nil
    }

    /// `field` is `redirect_uris` or `post_logout_redirect_uris`: both follow SPEC §3.1's rules.
    static func redirectURIProblems(_ uris: [String], field: String = "redirect_uris") -> [FieldProblem] {
        RedirectURI.validateList(uris).map { index, problem in
            let uri = index < uris.count ? uris[index] : ""
            let prefix = uri.isEmpty || problem == .tooMany ? "" : "\(uri.prefix(80)): "
            return FieldProblem(path: "\(field).\(index)", code: problem.rawValue, message: prefix + problem.message)
        }
    }

    /// Splits the console's textarea: one URI per line, blank lines ignored.
    static func redirectURIs(fromLines text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// OpenID Connect Registration §2 `id_token_signed_response_alg`.
    static func idTokenAlgorithmProblem(_ value: String) -> FieldProblem? {
        IDTokenAlgorithm(rawValue: value) == nil
            ? FieldProblem(path: "id_token_signed_response_alg", code: "INVALID_ALGORITHM", message: "Choose RS256 or ES256.") : nil
    }

    private static func containsControlCharacters(_ text: String, allowingNewlines: Bool) -> Bool {
        text.unicodeScalars.contains { scalar in
            if allowingNewlines, scalar == "\n" || scalar == "\r" || scalar == "\t" { return false }
            return scalar.value < 0x20 || scalar.value == 0x7F
        }
    }
}
