//! What the HTTP sinks share: the blocking client they send with.

use std::time::Duration;

/// A client whose every request (connecting included) ends within `timeout`, and that hands
/// back non-2xx answers as responses, so each sink classifies the status itself.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}
