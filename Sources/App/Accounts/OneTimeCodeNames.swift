import OneTimeCodes

// Vapor exports types named TOTP and Base32 too; in the App these names mean ours (SPEC §12).
typealias TOTP = OneTimeCodes.TOTP
typealias Base32 = OneTimeCodes.Base32
