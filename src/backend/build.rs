//! Building the backend a mount's configuration names.

use std::path::Path;

use super::Backend;
use super::local::LocalBackend;
use super::object::ObjectBackend;
use crate::config::{BackendSpec, Mount};
use crate::error::Result;

/// The backend serving mount `m` (`state_dir` holds an object store's read cache).
pub fn build(m: &Mount, state_dir: &Path) -> Result<Box<dyn Backend>> {
    match &m.backend {
        BackendSpec::Local { root } => Ok(Box::new(LocalBackend::new(
            m.path.clone(),
            root.clone(),
            !m.read_only,
        ))),
        BackendSpec::Object { url, options } => {
            if let Some(dir) = url.strip_prefix("file://") {
                // A file:// store is a plain directory: serve it with the jailed local
                // backend (object_store's own LocalFileSystem follows symlinks out of its root).
                return Ok(Box::new(LocalBackend::new(
                    m.path.clone(),
                    dir.into(),
                    !m.read_only,
                )));
            }
            if crate::config::is_redis_url(url) {
                return Ok(Box::new(super::redis::RedisBackend::new(
                    m.path.clone(),
                    url,
                    options,
                )?));
            }
            Ok(Box::new(ObjectBackend::new(
                m.path.clone(),
                url,
                options,
                state_dir,
            )?))
        }
    }
}
