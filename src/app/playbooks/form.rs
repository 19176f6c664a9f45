//! A playbook's parameters as one-line text fields: prefilled from the
//! selected model and the plain defaults, the registry-derived versions left
//! empty (the plan works them out), each checked with the engine's own
//! `check_value` as it is typed.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

use crate::playbook::spec::{ParamDefault, ParamKind, ParamSpec, Playbook, check_value};
use crate::playbook::template::{Escape, Template};

/// A single-line text field holding `text`, the cursor at its end.
pub fn text_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.move_cursor(CursorMove::End);
    area
}

pub fn text_of(area: &TextArea<'_>) -> String {
    area.lines().join("")
}

/// Types one key into a single-line field; whatever inserted a newline is undone.
pub fn type_key(area: &mut TextArea<'static>, key: KeyEvent) {
    area.input(key);
    if area.lines().len() > 1 {
        let joined = text_of(area);
        *area = text_area(&joined);
    }
}

#[derive(Debug, Clone)]
pub struct Field {
    pub spec: ParamSpec,
    pub input: TextArea<'static>,
    /// What the field started with: left as it is, the playbook's own
    /// default (or the selected model) applies and the plan says so.
    prefill: String,
    pub error: Option<String>,
}

impl Field {
    pub fn text(&self) -> String {
        let text = text_of(&self.input);
        // Free text is taken as typed; every other kind ignores stray spaces.
        if matches!(self.spec.kind, ParamKind::Text) { text } else { text.trim().to_string() }
    }

    /// Checks what is typed so far; an empty field is judged only on submit.
    fn check(&mut self) {
        let text = self.text();
        self.error = if text.is_empty() { None } else { check_value(&self.spec.kind, &text).err() };
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    pub playbook: Playbook,
    /// The model the view was opened for (`default = "selected"`).
    pub model: Option<String>,
    pub fields: Vec<Field>,
    pub focus: usize,
}

/// What a valid form asks the planner for.
#[derive(Debug, Clone, PartialEq)]
pub struct Filled {
    pub given: BTreeMap<String, String>,
    pub selected_model: Option<String>,
}

impl Form {
    pub fn new(playbook: &Playbook, model: Option<&str>) -> Form {
        let fields = playbook
            .params
            .iter()
            .map(|spec| {
                let prefill = match &spec.default {
                    Some(ParamDefault::Value(v)) => v.clone(),
                    Some(ParamDefault::Selected) => model.unwrap_or_default().to_string(),
                    // The plan fills in the session's context.
                    Some(ParamDefault::SessionContext) => String::new(),
                    // Left to the plan, which reads the registry for them.
                    Some(ParamDefault::Current { .. } | ParamDefault::Previous { .. }) | None => String::new(),
                };
                Field { spec: spec.clone(), input: text_area(&prefill), prefill, error: None }
            })
            .collect();
        Form { playbook: playbook.clone(), model: model.map(str::to_string), fields, focus: 0 }
    }

    /// Moves the focus by `delta` fields, wrapping around.
    pub fn move_focus(&mut self, delta: isize) {
        let n = self.fields.len() as isize;
        if n > 0 {
            self.focus = (self.focus as isize + delta).rem_euclid(n) as usize;
        }
    }

    /// Types into the focused field and checks it again.
    pub fn type_key(&mut self, key: KeyEvent) {
        if let Some(field) = self.fields.get_mut(self.focus) {
            type_key(&mut field.input, key);
            field.check();
        }
    }

    /// The values as typed, plain defaults standing in for empty fields
    /// (what a hint's `{{alias}}` is rendered with).
    pub fn values(&self) -> BTreeMap<String, String> {
        self.fields
            .iter()
            .filter_map(|f| {
                let text = f.text();
                let value = match (&f.spec.default, text.is_empty()) {
                    (_, false) => text,
                    (Some(ParamDefault::Value(v)), true) => v.clone(),
                    _ => return None,
                };
                Some((f.spec.name.clone(), value))
            })
            .collect()
    }

    /// What an empty field stands for.
    pub fn hint(&self, field: &Field) -> String {
        let values = self.values();
        match &field.spec.default {
            None => "(required)".into(),
            Some(ParamDefault::Selected) => "(required: the model to act on)".into(),
            Some(ParamDefault::Value(v)) => format!("(default: {v})"),
            Some(ParamDefault::SessionContext) => "(default: this session's context)".into(),
            Some(ParamDefault::Current { alias, .. }) => {
                format!("(from the registry: {} now)", render_or_source(alias, &values))
            }
            Some(ParamDefault::Previous { alias, .. }) => {
                format!("(from the registry: previous {})", render_or_source(alias, &values))
            }
        }
    }

    /// Checks every field; on success, what to plan with. On failure the
    /// fields say why and the focus moves to the first one that is wrong.
    pub fn submit(&mut self) -> Option<Filled> {
        let mut given = BTreeMap::new();
        for field in &mut self.fields {
            let text = field.text();
            field.error = None;
            if text.is_empty() {
                field.error = match field.spec.default {
                    None => Some("required".into()),
                    Some(ParamDefault::Selected) => Some("required: the model to act on".into()),
                    _ => None,
                };
                continue;
            }
            if let Err(why) = check_value(&field.spec.kind, &text) {
                field.error = Some(why);
                continue;
            }
            let untouched = text == field.prefill
                && matches!(field.spec.default, Some(ParamDefault::Value(_) | ParamDefault::Selected));
            if !untouched {
                given.insert(field.spec.name.clone(), text);
            }
        }
        if let Some(first) = self.fields.iter().position(|f| f.error.is_some()) {
            self.focus = first;
            return None;
        }
        Some(Filled { given, selected_model: self.model.clone() })
    }
}

fn render_or_source(template: &Template, values: &BTreeMap<String, String>) -> String {
    template.render(values, Escape::Whole).unwrap_or_else(|_| template.source())
}

/// A parameter's type as the form and the list show it: `number 0–1`, `choice a|b`.
pub fn kind_text(kind: &ParamKind) -> String {
    match kind {
        ParamKind::Number { min: Some(min), max: Some(max) } => format!("number {min}–{max}"),
        ParamKind::Number { min: Some(min), max: None } => format!("number ≥ {min}"),
        ParamKind::Number { min: None, max: Some(max) } => format!("number ≤ {max}"),
        ParamKind::Choice(choices) => format!("choice {}", choices.join("|")),
        other => other.name().to_string(),
    }
}

/// A parameter's default as the list shows it, for `model` when one is selected.
pub fn default_text(spec: &ParamSpec, playbook: &Playbook, model: Option<&str>) -> String {
    let values: BTreeMap<String, String> = playbook
        .params
        .iter()
        .filter_map(|p| match &p.default {
            Some(ParamDefault::Value(v)) => Some((p.name.clone(), v.clone())),
            _ => None,
        })
        .collect();
    match &spec.default {
        None => "(required)".into(),
        Some(ParamDefault::Value(v)) => v.clone(),
        Some(ParamDefault::Selected) => model.map_or_else(|| "(the selected model)".into(), str::to_string),
        Some(ParamDefault::SessionContext) => "(this context)".into(),
        Some(ParamDefault::Current { alias, .. }) => format!("({} now)", render_or_source(alias, &values)),
        Some(ParamDefault::Previous { alias, .. }) => format!("(previous {})", render_or_source(alias, &values)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::library::Library;
    use crossterm::event::KeyCode;

    fn rollback() -> Playbook {
        Library::load(None).unwrap().get("rollback").unwrap().clone()
    }

    fn field<'a>(form: &'a Form, name: &str) -> &'a Field {
        form.fields.iter().find(|f| f.spec.name == name).unwrap()
    }

    fn focus(form: &mut Form, name: &str) {
        form.focus = form.fields.iter().position(|f| f.spec.name == name).unwrap();
    }

    fn type_text(form: &mut Form, text: &str) {
        for c in text.chars() {
            form.type_key(KeyEvent::from(KeyCode::Char(c)));
        }
    }

    fn clear(form: &mut Form) {
        for _ in 0..40 {
            form.type_key(KeyEvent::from(KeyCode::Backspace));
        }
    }

    #[test]
    fn prefills_the_selected_model_and_plain_defaults_and_leaves_versions_to_the_plan() {
        let form = Form::new(&rollback(), Some("fraud-detector"));
        assert_eq!(field(&form, "model").text(), "fraud-detector");
        assert_eq!(field(&form, "alias").text(), "champion");
        assert_eq!(field(&form, "max_error_ratio").text(), "0.01");
        assert_eq!(field(&form, "to_version").text(), "");
        assert_eq!(form.hint(field(&form, "to_version")), "(from the registry: previous champion)");
        assert_eq!(form.hint(field(&form, "from_version")), "(from the registry: champion now)");
        // Untouched fields are not "given": the plan names their origin (selected, default).
        let mut form = form;
        let filled = form.submit().unwrap();
        assert!(filled.given.is_empty(), "{:?}", filled.given);
        assert_eq!(filled.selected_model.as_deref(), Some("fraud-detector"));
    }

    #[test]
    fn hints_follow_what_is_typed() {
        let mut form = Form::new(&rollback(), Some("fraud-detector"));
        focus(&mut form, "alias");
        clear(&mut form);
        type_text(&mut form, "production");
        assert_eq!(form.hint(field(&form, "to_version")), "(from the registry: previous production)");
    }

    #[test]
    fn values_are_checked_as_typed_and_on_submit() {
        let mut form = Form::new(&rollback(), None);
        focus(&mut form, "max_error_ratio");
        clear(&mut form);
        type_text(&mut form, "2");
        assert_eq!(field(&form, "max_error_ratio").error.as_deref(), Some("2 is above the maximum 1"));
        clear(&mut form);
        type_text(&mut form, "0.05");
        assert_eq!(field(&form, "max_error_ratio").error, None);
        focus(&mut form, "to_version");
        type_text(&mut form, "v9");
        assert_eq!(field(&form, "to_version").error.as_deref(), Some("`v9` is not a version number"));
        // No model was selected: submitting says so and goes to the first problem.
        assert_eq!(form.submit(), None);
        assert_eq!(form.fields[form.focus].spec.name, "model");
        assert_eq!(field(&form, "model").error.as_deref(), Some("required: the model to act on"));
        assert!(field(&form, "to_version").error.is_some());
        focus(&mut form, "to_version");
        clear(&mut form);
        type_text(&mut form, "9");
        focus(&mut form, "model");
        type_text(&mut form, "fraud-detector");
        let filled = form.submit().unwrap();
        let given: Vec<(&str, &str)> = filled.given.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(given, [("max_error_ratio", "0.05"), ("model", "fraud-detector"), ("to_version", "9")]);
    }

    #[test]
    fn a_newline_never_gets_into_a_field() {
        let mut form = Form::new(&rollback(), Some("fraud-detector"));
        form.type_key(KeyEvent::new(KeyCode::Char('m'), crossterm::event::KeyModifiers::CONTROL));
        assert_eq!(form.fields[0].input.lines().len(), 1);
        assert_eq!(field(&form, "model").text(), "fraud-detector");
    }

    #[test]
    fn focus_wraps_both_ways() {
        let mut form = Form::new(&rollback(), None);
        form.move_focus(-1);
        assert_eq!(form.focus, form.fields.len() - 1);
        form.move_focus(1);
        assert_eq!(form.focus, 0);
    }

    #[test]
    fn kinds_and_defaults_read_plainly() {
        let playbook = rollback();
        let spec = |n: &str| playbook.params.iter().find(|p| p.name == n).unwrap();
        assert_eq!(kind_text(&spec("max_error_ratio").kind), "number 0–1");
        assert_eq!(default_text(spec("to_version"), &playbook, None), "(previous champion)");
        assert_eq!(default_text(spec("model"), &playbook, Some("fraud-detector")), "fraud-detector");
        assert_eq!(default_text(spec("model"), &playbook, None), "(the selected model)");
    }
}
