//! Blocking core calls run on libuv's thread pool, so the JS thread never waits on I/O.

use std::time::Duration;

use std::sync::Arc;

use napi::bindgen_prelude::*;
use trulayer_core::Client;

use crate::intake::Intake;

/// `flush` or `shutdown`: true when everything was answered before the deadline.
pub struct DrainTask {
    pub intake: Arc<Intake>,
    pub timeout: Duration,
    pub stop: bool,
}

impl Task for DrainTask {
    type Output = bool;
    type JsValue = bool;

    fn compute(&mut self) -> Result<bool> {
        self.intake.drain();
        let client = self.intake.client();
        Ok(if self.stop { client.shutdown(self.timeout) } else { client.flush(self.timeout) })
    }

    fn resolve(&mut self, _env: Env, done: bool) -> Result<bool> {
        Ok(done)
    }
}

/// The answer of a query or feedback call; the facade decodes the body.
#[napi_derive::napi(object)]
pub struct ApiAnswer {
    pub status: u32,
    pub body: String,
}

pub struct ApiTask {
    pub client: Client,
    pub method: String,
    pub path: String,
    pub body: Option<String>,
    pub timeout: Duration,
}

impl Task for ApiTask {
    type Output = ApiAnswer;
    type JsValue = ApiAnswer;

    fn compute(&mut self) -> Result<ApiAnswer> {
        let body = self.body.take().map(String::into_bytes);
        self.client
            .api_request(&self.method, &self.path, body, self.timeout)
            .map(|r| ApiAnswer { status: u32::from(r.status), body: r.body })
            .map_err(Error::from_reason)
    }

    fn resolve(&mut self, _env: Env, answer: ApiAnswer) -> Result<ApiAnswer> {
        Ok(answer)
    }
}
