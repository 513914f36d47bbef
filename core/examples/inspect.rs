fn main() {
    let mut input = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut input).unwrap();
    let mut out = String::new();
    let s = carbon_pickle::decode::inspect(&input, &mut out).unwrap();
    print!("{out}");
    eprintln!("{s:?}");
}
