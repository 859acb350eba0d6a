//! trailscope's own detection rules, written for it (facts from AWS
//! documentation, MITRE ATT&CK and TrailDiscover, credited in the README),
//! compiled into the binary from `assets/rules` by the build script.

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));
