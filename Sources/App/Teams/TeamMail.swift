import Mail

/// The invitation mail (SPEC §13, through SPEC §12's outbox): links on `GATEHOUSE_ISSUER`.
struct TeamMail: Sendable {
    let issuer: String
    let from: String
    let inviter: String

    func invitation(to: String, teamName: String, invitationID: String) -> MailMessage? {
        let link = "\(issuer)/developers/teams/invitations/\(invitationID)"
        let text = """
            \(inviter) invited you to the team \(teamName) on Gatehouse.

            Accept or decline: \(link)

            The invitation expires in 7 days. If you have no Gatehouse account yet, create one with this address first.

            — Gatehouse
            """
        let html = """
            <!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#1a1a1a;max-width:560px;margin:0 auto;padding:24px">
            <p>\(AccountMail.escape(inviter)) invited you to the team <strong>\(AccountMail.escape(teamName))</strong> on Gatehouse.</p>
            <p><a href="\(AccountMail.escape(link))" style="display:inline-block;padding:10px 16px;background:#2f5bea;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">View the invitation</a></p>
            <p style="color:#555;font-size:13px">It expires in 7 days. If you have no Gatehouse account yet, create one with this address first.</p>
            </body></html>
            """
        return MailMessage(from: from, to: to, subject: "\(inviter) invited you to \(teamName) on Gatehouse", text: text + "\n", html: html)
    }
}
