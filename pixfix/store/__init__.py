"""The files pixfix writes and reads back: plan directories, run directories, saved
configurations."""
