import Foundation
import Mail

/// The mail Gatehouse sends about an account (SPEC §12), each as plain text and HTML. Links are
/// built on `GATEHOUSE_ISSUER`, never on the request's Host header: a forged Host must not put
/// an attacker's domain into a reset link.
struct AccountMail {
    let issuer: String
    let from: String

    func verification(to email: String, username: String, token: String, change: Bool) -> MailMessage {
        let link = "\(issuer)/verify-email/\(token)"
        let intro = change
            ? "You asked to change the email address of your Gatehouse account \(username) to this one."
            : "Welcome to Gatehouse, \(username). Confirm that this address is yours."
        return message(to: email, subject: change ? "Confirm your new email address" : "Verify your email address",
                       paragraphs: [intro], button: ("Verify email address", link),
                       after: ["This link works once and expires in 24 hours. If you did not ask for it, ignore this message."])
    }

    func passwordReset(to email: String, username: String, token: String) -> MailMessage {
        let link = "\(issuer)/password-reset/\(token)"
        return message(to: email, subject: "Reset your Gatehouse password",
                       paragraphs: ["Someone asked to reset the password of the Gatehouse account \(username). If it was you, choose a new password:"],
                       button: ("Choose a new password", link),
                       after: ["This link works once and expires in 1 hour. Resetting signs you out everywhere; two-factor authentication stays on.",
                               "If you did not ask for this, ignore this message: your password has not changed."])
    }

    /// Sent to the old address when the address changes, so a hijacked account is noticed.
    func addressChanged(to oldEmail: String, username: String, newEmail: String) -> MailMessage {
        message(to: oldEmail, subject: "Your Gatehouse email address was changed",
                paragraphs: ["The email address of the Gatehouse account \(username) is now \(newEmail).",
                             "If you did not make this change, reset your password at \(issuer)/password-reset and review \(issuer)/settings/security."],
                button: nil, after: [])
    }

    private func message(to: String, subject: String, paragraphs: [String], button: (label: String, url: String)?, after: [String]) -> MailMessage {
        var text = paragraphs
        if let button { text.append(button.url) }
        text += after
        text.append("— Gatehouse")
        var html = paragraphs.map { "<p>\(Self.escape($0))</p>" }
        if let button {
            html.append(#"<p><a href="\#(Self.escape(button.url))" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">\#(Self.escape(button.label))</a></p>"#)
            html.append(#"<p style="color:#555;font-size:13px">Or paste this link into your browser:<br><span style="word-break:break-all">\#(Self.escape(button.url))</span></p>"#)
        }
        html += after.map { #"<p style="color:#555;font-size:13px">\#(Self.escape($0))</p>"# }
        let body = """
            <!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a;max-width:560px;margin:0 auto;padding:24px">
            \(html.joined(separator: "\n"))
            <p style="color:#555;font-size:13px">— Gatehouse</p>
            </body></html>
            """
        return MailMessage(from: from, to: to, subject: subject, text: text.joined(separator: "\n\n") + "\n", html: body)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
