//! par's global state file, as `read_state` parses it for one repo.
#![no_main]

use std::path::Path;

use helios::lanes::par::parse_state;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // read_state reads the file with read_to_string: only UTF-8 reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let repo = Path::new("/r/one");
    if let Ok(lanes) = parse_state(text, Path::new("global_state.json"), repo) {
        assert!(
            lanes.windows(2).all(|w| w[0].label <= w[1].label),
            "lanes not sorted by label"
        );
    }
});
