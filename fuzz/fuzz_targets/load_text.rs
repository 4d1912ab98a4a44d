//! Fuzzes the delimited-text loader: any bytes must give a matrix or a clean error.
#![no_main]

use biolens::data::LoadOptions;
use biolens::data::io::{Orientation, read_text_table};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.csv");
    for orientation in [None, Some(Orientation::GenesInRows)] {
        let options = LoadOptions { orientation };
        if let Ok(loaded) = read_text_table(path, data.to_vec(), &options, false, &|_, _| {}) {
            let m = loaded.data.matrix();
            assert_eq!(m.nrows(), loaded.data.sample_ids().len());
            assert_eq!(m.ncols(), loaded.data.gene_ids().len());
        }
    }
});
