import Foundation
import HitchAPI
import HitchDomain

/// A connection form, for a new connection or an edit: exactly the kind's fields, each with its help text and
/// its error. Secret inputs are always empty: an edit shows a placeholder when a secret is stored.
struct ConnectionFormView: Sendable {
    struct Field: Sendable {
        let label: String
        let help: String
        let id: String
        let inputName: String
        let isText: Bool
        let isPassword: Bool
        let isTextarea: Bool
        let isCheckbox: Bool
        let isSelect: Bool
        /// Hitch makes the value itself (an API key): no input, only an offer to make a new one on an edit.
        let isGenerated: Bool
        let value: String
        let checked: Bool
        let isRequired: Bool
        let options: [OptionView]
        let placeholder: String?
        let mayGenerate: Bool
        let generateName: String
        let generateChecked: Bool
        /// On an edit of a connection with a stored secret: this field decides where the secret is sent.
        let destinationNote: String?
        let error: String?
    }

    struct TestView: Sendable {
        let passed: Bool
        let badge: String
        let summary: String
        let stages: [StageView]
        let warnings: [String]
    }

    let chrome: PageChrome
    let isNew: Bool
    let heading: String
    let action: String
    let cancelHref: String
    let kind: String
    let kindTitle: String
    let name: String
    let nameError: String?
    let description: String
    let descriptionError: String?
    let displayName: String
    let displayNameError: String?
    let tags: String
    let tagsError: String?
    let etag: String
    let fields: [Field]
    let message: String?
    let test: TestView?

    /// Where the form's values come from: what was posted, else the saved connection, else nothing.
    struct Values: Sendable {
        var name = ""
        var description = ""
        var displayName = ""
        var tags: [String] = []
        var plain: [String: Components.Schemas.FieldValue] = [:]
        var storedSecrets: Set<String> = []
        var generate: Set<String> = []

        init() {}

        init(saved connection: Components.Schemas.Connection) {
            name = connection.name
            description = connection.description
            displayName = connection.displayName ?? ""
            tags = connection.tags
            plain = connection.fields.additionalProperties
            storedSecrets = Self.storedSecrets(of: connection)
        }

        static func storedSecrets(of connection: Components.Schemas.Connection?) -> Set<String> {
            Set(connection?.secrets.additionalProperties.filter { $0.value.set }.map(\.key) ?? [])
        }

        init(posted input: ConnectionFormInput, storedSecrets: Set<String>) {
            name = input.name
            description = input.description
            displayName = input.displayName
            tags = input.tags
            plain = input.plain.compactMapValues { $0 }
            self.storedSecrets = storedSecrets
            generate = Set(input.generate)
        }
    }

    static func fields(
        of kind: ConnectionKind, values: Values, isNew: Bool, errors: [String: String],
        references: [String: [String]]
    ) -> [Field] {
        kind.schema.fields.compactMap { spec -> Field? in
            if spec.origin == .generated && isNew { return nil }
            let isSecret = spec.isSecret
            var options: [OptionView] = []
            let text = DashboardFormat.text(values.plain[spec.name]) ?? ""
            switch spec.type {
            case .choice(let words):
                options = [OptionView(value: "", label: spec.isRequired ? "(choose)" : "(default)", selected: text.isEmpty)]
                    + words.map { OptionView(value: $0, label: $0, selected: $0 == text) }
            case .connectionReference:
                options = [OptionView(value: "", label: "(choose)", selected: text.isEmpty)]
                    + (references[spec.name] ?? []).map { OptionView(value: $0, label: $0, selected: $0 == text) }
            case .string, .boolean:
                break
            }
            let checked = if case .case2(true)? = values.plain[spec.name] { true } else { false }
            let storedSecretLabels = kind.schema.secretFields.filter { values.storedSecrets.contains($0.name) }.map(\.label)
            let destinationNote = spec.isDestination && !isNew && !storedSecretLabels.isEmpty
                ? "Changing this changes where the secret is sent: re-enter "
                    + storedSecretLabels.joined(separator: " and ") + " below to save or test the change."
                : nil
            let isSelect = !options.isEmpty
            return Field(
                label: spec.label, help: spec.help, id: "f-" + spec.name,
                inputName: (isSecret ? "secret." : "field.") + spec.name,
                isText: !isSecret && !isSelect && spec.type != .boolean, isPassword: isSecret && !spec.isMultiline
                    && spec.origin != .generated,
                isTextarea: isSecret && spec.isMultiline, isCheckbox: spec.type == .boolean, isSelect: isSelect,
                isGenerated: spec.origin == .generated, value: isSecret ? "" : text, checked: checked,
                isRequired: spec.isRequired && !(isSecret && (values.storedSecrets.contains(spec.name) || spec.origin != .supplied)),
                options: options,
                placeholder: isSecret && values.storedSecrets.contains(spec.name)
                    ? "\(SecretValue.placeholder) stored: leave empty to keep it, type to replace it" : nil,
                mayGenerate: spec.origin != .supplied, generateName: "generate." + spec.name,
                generateChecked: values.generate.contains(spec.name), destinationNote: destinationNote,
                error: errors[spec.name])
        }
    }

    static func test(_ result: Components.Schemas.TestResult) -> TestView {
        TestView(
            passed: result.passed, badge: result.passed ? "good" : "bad",
            summary: result.passed ? "Test passed in \(result.durationMs) ms" : "Test failed",
            stages: StageView.from(result), warnings: result.warnings)
    }
}
