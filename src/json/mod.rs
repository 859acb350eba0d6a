//! JSON handling shared by the loader and the views: a validating scanner that
//! writes canonical text, and readers of that canonical text.

pub mod canon;
pub mod pretty;
pub mod scan;
