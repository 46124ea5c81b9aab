//! OCPP frames as one readable line each: for the debug log and the demo's transcript.

use ocpp::Frame;

/// Log a frame at debug level, one line, `->` to the Central System and `<-` from it.
pub fn log_frame(direction: &str, text: &str) {
    // The AuthorizationKey (write-only) never reaches a log.
    let text = station::security::redact_frame(text);
    tracing::debug!(target: "ocpp", "{direction} {text}");
}

/// `CALL BootNotification {...}` / `RESULT {...}` / `ERROR NotImplemented ...`, the payload
/// cut to `width` characters.
pub fn summarize(text: &str, width: usize) -> String {
    let line = match Frame::parse(text) {
        Ok(Frame::Call(call)) => format!("{} {}", call.action, call.payload),
        Ok(Frame::CallResult(result)) => format!("result {}", result.payload),
        Ok(Frame::CallError(error)) => format!(
            "error {} {}",
            error.error_code.as_str(),
            error.error_description
        ),
        Err(_) => format!("invalid frame {text}"),
    };
    cut(&line, width)
}

fn cut(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_shows_its_action_and_payload() {
        let line = summarize(r#"[2,"1","Heartbeat",{}]"#, 80);
        assert_eq!(line, "Heartbeat {}");
    }

    #[test]
    fn long_payloads_are_cut() {
        let text = format!(r#"[3,"1",{{"data":"{}"}}]"#, "x".repeat(200));
        let line = summarize(&text, 40);
        assert_eq!(line.chars().count(), 40);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn errors_show_their_code() {
        let line = summarize(r#"[4,"1","NotImplemented","no such action",{}]"#, 80);
        assert_eq!(line, "error NotImplemented no such action");
    }
}
