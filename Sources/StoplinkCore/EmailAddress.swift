import Foundation

/// Email addresses as Stoplink accepts them: `local@domain` in printable ASCII, without
/// spaces, quotes, angle brackets, commas or anything else that would let an address become
/// two addresses or a header line.
public enum EmailAddress {
    public static func isValid(_ address: String) -> Bool {
        guard address.utf8.count <= 254, let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let domain = address[address.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty, domain.contains("."),
              !domain.hasPrefix("."), !domain.hasSuffix("."), !domain.contains("..") else { return false }
        let allowedLocal = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
        let allowedDomain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
        return local.allSatisfy(allowedLocal.contains) && domain.allSatisfy(allowedDomain.contains)
            && !local.hasPrefix(".") && !local.hasSuffix(".") && !local.contains("..")
    }
}

extension EmailAddress {
    /// The address trimmed and lowercased (logins and recipients are compared without regard to
    /// case), or nil when it is not one `isValid` accepts.
    public static func normalize(_ text: String) -> String? {
        let email = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        return isValid(email) ? email : nil
    }

    /// The first character of the local part and the domain (`o•••@acme.example`): what logs carry.
    public static func masked(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@"), let first = address.first, at != address.startIndex else { return "•••" }
        return "\(first)•••\(address[at...])"
    }
}
