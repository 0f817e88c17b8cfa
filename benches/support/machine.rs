//! The machine a benchmark ran on, as its figures should be read: its cores, and how busy
//! it was (the figures of a shared machine move with its load).

/// "2 cores, load average 3.10 2.90 2.60 at the end".
pub fn described() -> String {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut load = [0.0f64; 3];
    // SAFETY: getloadavg writes at most the 3 numbers it is given room for.
    let got = unsafe { libc::getloadavg(load.as_mut_ptr(), 3) };
    if got < 3 {
        return format!("{cores} cores");
    }
    let [one, five, fifteen] = load;
    format!("{cores} cores, load average {one:.2} {five:.2} {fifteen:.2} at the end")
}
