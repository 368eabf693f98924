//! Times the span-keeping reader on one file (a development aid for the benchmark's numbers).
//! `cargo run --release --example parse_one -- FILE`
fn main() {
    let path = std::env::args().nth(1).expect("usage: parse_one FILE");
    let text = std::fs::read_to_string(&path).unwrap();
    let t = std::time::Instant::now();
    let docs = eks2aks::yaml::parse_stream(&text).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} documents, {:.1} MB in {secs:.3} s ({:.1} MB/s)",
        docs.len(),
        text.len() as f64 / 1e6,
        text.len() as f64 / 1e6 / secs
    );
    let t = std::time::Instant::now();
    let _: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    println!("serde_json::Value: {:.3} s", t.elapsed().as_secs_f64());
}
