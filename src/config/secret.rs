//! Reading a secret from where the config says it lives. The value is used
//! for one request header and never logged, displayed or exported: errors
//! name the reference (the variable or file), never the content.

use std::fmt;

use super::model::SecretRef;

/// A secret's value. `Debug` and `Display` print a placeholder so the value
/// cannot leak through a log line or an error chain by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl SecretRef {
    /// Reads the secret. A file's content is trimmed of surrounding
    /// whitespace (a trailing newline is almost always an accident).
    pub fn resolve(&self) -> Result<Secret, String> {
        let value = match self {
            SecretRef::Env(name) => std::env::var(name).map_err(|e| match e {
                std::env::VarError::NotPresent => format!("environment variable {name} is not set"),
                std::env::VarError::NotUnicode(_) => format!("environment variable {name} is not valid UTF-8"),
            })?,
            SecretRef::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?
                .trim()
                .to_string(),
        };
        if value.is_empty() {
            return Err(format!("{self} is empty"));
        }
        Ok(Secret(value))
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "environment variable {name}"),
            SecretRef::File(path) => write!(f, "secret file {}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_secret_is_trimmed_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cr3t-value\n").unwrap();
        let secret = SecretRef::File(path).resolve().unwrap();
        assert_eq!(secret.expose(), "s3cr3t-value");
        assert!(!format!("{secret:?}").contains("s3cr3t"));
    }

    #[test]
    fn missing_and_empty_secrets_name_the_reference() {
        let missing = SecretRef::Env("VIGIL_TEST_SURELY_UNSET_VARIABLE".into()).resolve().unwrap_err();
        assert_eq!(missing, "environment variable VIGIL_TEST_SURELY_UNSET_VARIABLE is not set");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty");
        std::fs::write(&path, "  \n").unwrap();
        let empty = SecretRef::File(path.clone()).resolve().unwrap_err();
        assert_eq!(empty, format!("secret file {} is empty", path.display()));
    }
}
