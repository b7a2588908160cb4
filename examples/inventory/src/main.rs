//! A small inventory report with two compile errors a developer might make:
//! a `match` that misses a variant (E0004) and a vector used after it was moved (E0382).

#[derive(Debug, Clone)]
enum Item {
    Book { title: String, pages: u32 },
    Pen { color: String },
}

fn describe(item: &Item) -> String {
    match item {
        Item::Book { title, pages } => format!("{title} ({pages} pages)"),
    }
}

fn main() {
    let items = vec![
        Item::Book { title: String::from("The Rust Programming Language"), pages: 552 },
        Item::Pen { color: String::from("blue") },
    ];
    let archived = items;
    for item in &items {
        println!("{}", describe(item));
    }
    println!("{} items archived", archived.len());
}
