//! Against a real OTLP receiver (written in the next commit).
