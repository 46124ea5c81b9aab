//! Open files: a fleet holds a socket per station (and, with a durable store, its database
//! files). The soft limit is raised towards the hard one; beyond that, fail at once naming
//! `ulimit -n` rather than later with EMFILE in the middle of a run.

/// Make at least `needed` file descriptors available, raising the soft limit up to the hard
/// limit if that is enough.
pub fn raise_open_files(needed: u64) -> anyhow::Result<()> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Ok(());
    }
    if lim.rlim_cur >= needed as libc::rlim_t {
        return Ok(());
    }
    if lim.rlim_max < needed as libc::rlim_t {
        anyhow::bail!(
            "{needed} open files needed but the hard limit is {} (raise it: ulimit -n {needed}, or run fewer stations)",
            lim.rlim_max
        );
    }
    let raised = libc::rlimit {
        rlim_cur: needed as libc::rlim_t,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: setrlimit reads the struct we own.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        anyhow::bail!(
            "{needed} open files needed, the soft limit is {} and cannot be raised (ulimit -n {needed})",
            lim.rlim_cur
        );
    }
    tracing::info!(
        from = lim.rlim_cur,
        to = needed,
        "raised the open-file limit"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_the_hard_limit_fails_naming_ulimit() {
        let e = raise_open_files(u64::MAX / 2).unwrap_err().to_string();
        assert!(e.contains("ulimit -n"), "{e}");
    }

    #[test]
    fn a_few_files_are_always_there() {
        raise_open_files(16).unwrap();
    }
}
