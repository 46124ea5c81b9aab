//! Robustness: arbitrary and mutated input never panics in `Frame::parse` or
//! in decoding, and whatever parses re-serializes to the same frame.

mod support;

use ocpp::{Call, CallResult, Frame, Request};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::Union;
use serde_json::Value;
use support::{decode_any, for_each_request, Gen, RequestVisitor};

/// What a receiver does with text: parse, then decode CALL and CALLRESULT payloads
/// under every action name they could belong to.
fn receive(text: &str, action_hint: &str) {
    match Frame::parse(text) {
        Ok(frame) => {
            let again = Frame::parse(&frame.to_text());
            assert_eq!(
                again.as_ref(),
                Ok(&frame),
                "re-serialization changed {text}"
            );
            match &frame {
                Frame::Call(call) => {
                    decode_any(&call.action, &call.payload);
                }
                Frame::CallResult(result) => {
                    decode_any(action_hint, &result.payload);
                }
                Frame::CallError(_) => {}
            }
        }
        Err(err) => {
            let answer = err.to_call_error();
            assert_eq!(answer.is_some(), err.was_call);
            if let Some(answer) = answer {
                // The answer itself must be a well-formed frame when its id is valid.
                if answer.unique_id.chars().count() <= ocpp::MAX_UNIQUE_ID_LEN {
                    assert!(Frame::parse(&Frame::from(answer).to_text()).is_ok());
                }
            }
        }
    }
}

/// Valid CALL and CALLRESULT frames of every action, with the action name.
fn valid_frames() -> impl Strategy<Value = (Frame, String)> {
    struct Collect(Vec<BoxedStrategy<(Frame, String)>>);
    impl RequestVisitor for Collect {
        fn visit<R>(&mut self)
        where
            R: Request + Gen + PartialEq,
            R::Response: Gen + PartialEq,
        {
            let action = R::ACTION.as_str().to_owned();
            let name = action.clone();
            self.0.push(
                R::strategy()
                    .prop_map(move |r| (Frame::Call(Call::new("id-1", &r)), name.clone()))
                    .boxed(),
            );
            self.0.push(
                R::Response::strategy()
                    .prop_map(move |r| {
                        (
                            Frame::CallResult(CallResult::new("id-2", &r)),
                            action.clone(),
                        )
                    })
                    .boxed(),
            );
        }
    }
    let mut collect = Collect(Vec::new());
    for_each_request(&mut collect);
    Union::new(collect.0)
}

/// Values that break types, lengths, enums and constraints.
fn nasty_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from(1.5)),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("x".repeat(10_001))),
        Just(Value::from("2026-13-45T99:99:99Z")),
        Just(Value::Array(vec![])),
        Just(serde_json::json!({"unexpected": [1, {"deep": null}]})),
    ]
}

/// JSON pointers of every node of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(Index, Value),
    Remove(Index),
    Insert(Index, String, Value),
    Truncate(Index),
    ReplaceChar(Index, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), nasty_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<Index>().prop_map(Mutation::Remove),
        (any::<Index>(), "[a-zA-Z]{1,12}", nasty_value())
            .prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), any::<char>()).prop_map(|(i, c)| Mutation::ReplaceChar(i, c)),
    ]
}

/// Applies a mutation, structurally (on the JSON tree) or textually.
fn mutate(frame: &Frame, mutation: &Mutation) -> String {
    let text = frame.to_text();
    let mut tree: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut all = Vec::new();
    pointers(&tree, String::new(), &mut all);
    match mutation {
        Mutation::Replace(i, v) => {
            if let Some(node) = tree.pointer_mut(&all[i.index(all.len())]) {
                *node = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let pointer = &all[i.index(all.len())];
            if let Some((parent, key)) = pointer.rsplit_once('/') {
                match tree.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(k) = key.parse::<usize>() {
                            if k < items.len() {
                                items.remove(k);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Insert(i, key, v) => match tree.pointer_mut(&all[i.index(all.len())]) {
            Some(Value::Object(map)) => {
                map.insert(key.clone(), v.clone());
            }
            Some(Value::Array(items)) => items.push(v.clone()),
            _ => {}
        },
        Mutation::Truncate(i) => {
            let chars: Vec<char> = text.chars().collect();
            return chars[..i.index(chars.len() + 1)].iter().collect();
        }
        Mutation::ReplaceChar(i, c) => {
            let mut chars: Vec<char> = text.chars().collect();
            let at = i.index(chars.len());
            chars[at] = *c;
            return chars.into_iter().collect();
        }
    }
    tree.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in ".*") {
        receive(&text, "Heartbeat");
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        receive(&String::from_utf8_lossy(&bytes), "BootNotification");
    }

    #[test]
    fn json_like_text_never_panics(text in r#"\[[0-9]\s*(,\s*("[a-zA-Z0-9]{0,40}"|[0-9.e-]{1,6}|null|true|\{\}|\[\]|\{"[a-zA-Z]{1,10}"\s*:\s*("[^"]{0,8}"|[0-9.-]{1,5}|null)\})){0,5}\]"#) {
        receive(&text, "StartTransaction");
    }

    #[test]
    fn mutated_valid_frames_never_panic(
        (frame, action) in valid_frames(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        // The unmutated frame must decode cleanly.
        let payload = match &frame {
            Frame::Call(c) => &c.payload,
            Frame::CallResult(r) => &r.payload,
            Frame::CallError(e) => &e.error_details,
        };
        let results = decode_any(&action, payload);
        let ok_count = results.iter().filter(|r| r.is_ok()).count();
        prop_assert!(ok_count >= 1, "{action}: valid payload rejected: {results:?}");

        let mut text = frame.to_text();
        for m in &mutations {
            let current = Frame::parse(&text).unwrap_or_else(|_| frame.clone());
            text = mutate(&current, m);
            receive(&text, &action);
        }
    }
}
