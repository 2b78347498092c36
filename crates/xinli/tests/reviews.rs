//! `xinli reviews` as a user runs it: a reviews file in, the files out; bad input exits 2 with
//! the file named.

use std::process::Command;

fn xinli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xinli")).args(args).output().expect("run xinli")
}

#[test]
fn reviews_file_in_scored_files_out() {
    let dir = std::env::temp_dir().join(format!("xinli-reviews-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("reviews.csv");
    std::fs::write(
        &input,
        "review_id,customer_id,product_id,ts,rating,text\n\
         a,c1,p1,2024-05-01,5,物流很快，质量很好\n\
         b,c2,p1,2024-05-02,1,\"Awful quality, it ripped. I want a refund!\"\n\
         c,c3,p2,2024-05-03,3,😐\n",
    )
    .unwrap();
    let out = dir.join("out");
    let run = xinli(&["reviews", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--lang", "zh"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("3 reviews scored") && stdout.contains("1 complaints"), "{stdout}");
    for f in ["reviews_scored.csv", "aspect_mentions.csv", "aspects.csv", "complaints.csv", "satisfaction.csv", "quarantine.csv", "reviews_summary.json", "report.html"] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let scored = std::fs::read_to_string(out.join("reviews_scored.csv")).unwrap();
    assert!(scored.starts_with("review_id,language,sentiment,probability,aspects,emotion,complaint,severity,"));
    assert!(scored.lines().any(|l| l.starts_with("b,en,negative,") && l.contains("quality:-") && l.contains(",true,")), "{scored}");

    // A reviews file without its required text column: exit 2, the file and the column named.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "review_id,ts\nx,2024-01-01\n").unwrap();
    let run = xinli(&["reviews", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("bad.csv") && err.contains("text"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
