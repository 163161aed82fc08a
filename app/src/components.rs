//! Reusable pieces of the interface.
pub mod browser_data;
pub mod cost_now;
pub mod date_input;
pub mod empty_state;
pub mod error_view;
pub mod loaded;
pub mod notifications;
pub mod page_header;
pub mod poll;
pub mod schedule_editor;
pub mod theme_toggle;
pub mod top_bar;
pub mod user_menu;
