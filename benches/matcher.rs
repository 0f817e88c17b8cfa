//! Matcher speed: time per question and time to load and index, on the shipped FAQ and on a
//! synthetic FAQ of 10,000 entries generated here.
//!
//! Beside each `ask/*`, its floor `fold/*`: folding the same questions alone
//! ([`pao_bot::text::fold`], the matcher's first step), the least a match can cost.
//!
//! Run: `cargo bench --bench matcher` (`benches/ratios.sh` runs it with the other benchmarks
//! and prints the ratios).

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use pao_bot::answer::Answerer;
use pao_bot::lang::Lang;
use pao_bot::text::fold;
use tempfile::TempDir;

const SYNTHETIC_ENTRIES: usize = 10_000;

fn shipped_faq() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("faq")
}

/// A small deterministic generator, so every run benchmarks the same FAQ.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Made-up words: English-like syllables and Japanese kana and kanji.
struct Lexicon {
    english: Vec<String>,
    japanese: Vec<String>,
}

impl Lexicon {
    fn new(rng: &mut Rng) -> Lexicon {
        const SYLLABLES: &[&str] = &[
            "ka", "to", "ri", "mel", "san", "dor", "vi", "pex", "lo", "qua", "ben", "sti",
        ];
        const KANA: &[char] = &[
            'あ', 'か', 'さ', 'た', 'な', 'は', 'ま', 'や', 'ら', 'わ', 'ン', 'ト', 'ロ', 'ク',
        ];
        const KANJI: &[char] = &[
            '契', '約', '製', '品', '注', '文', '発', '送', '設', '定', '変', '更', '確', '認',
            '請', '求', '番', '号', '期', '限',
        ];
        let english = (0..4000)
            .map(|_| {
                (0..2 + rng.below(2))
                    .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
                    .collect()
            })
            .collect();
        let japanese = (0..4000)
            .map(|_| {
                let mut word: String = (0..2).map(|_| KANJI[rng.below(KANJI.len())]).collect();
                word.extend((0..1 + rng.below(2)).map(|_| KANA[rng.below(KANA.len())]));
                word
            })
            .collect();
        Lexicon { english, japanese }
    }

    fn sentence(&self, rng: &mut Rng, lang: Lang, topic: &[usize]) -> String {
        let words = match lang {
            Lang::En => &self.english,
            Lang::Ja => &self.japanese,
        };
        let mut picked: Vec<&str> = topic.iter().map(|&i| words[i].as_str()).collect();
        picked.extend((0..2).map(|_| words[rng.below(words.len())].as_str()));
        let tail = picked.split_off(rng.below(picked.len()));
        picked.splice(0..0, tail);
        match lang {
            Lang::En => picked.join(" "),
            Lang::Ja => picked.join("の"),
        }
    }
}

/// Writes a FAQ of `entries` made-up entries, with the shipped vocabulary, procedures and
/// sentences; returns the folder and a few questions customers could ask of it.
fn synthetic_faq(entries: usize) -> (TempDir, Vec<String>) {
    let dir = TempDir::new().expect("a temporary folder");
    for file in [
        "categories.yaml",
        "procedures.yaml",
        "vocabulary.yaml",
        "messages.yaml",
        "out-of-scope.yaml",
        "handoff.yaml",
    ] {
        fs::copy(shipped_faq().join(file), dir.path().join(file)).expect("file copied");
    }
    fs::create_dir(dir.path().join("entries")).expect("folder made");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let lexicon = Lexicon::new(&mut rng);
    let mut questions = Vec::new();
    for n in 0..entries {
        let topic: Vec<usize> = (0..3).map(|_| rng.below(lexicon.english.len())).collect();
        let mut texts = |lang| {
            (0..6)
                .map(|_| lexicon.sentence(&mut rng, lang, &topic))
                .collect::<Vec<_>>()
        };
        let (ja, en) = (texts(Lang::Ja), texts(Lang::En));
        let list = |texts: &[String]| {
            texts[1..]
                .iter()
                .map(|t| format!("\"{t}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let yaml = format!(
            "id: entry-{n}\ncategory: overview\nquestion: {{ja: \"{}\", en: \"{}\"}}\nanswer: {{ja: 答え, en: Answer}}\nexamples:\n  ja: [{}]\n  en: [{}]\n",
            ja[0],
            en[0],
            list(&ja),
            list(&en)
        );
        fs::write(
            dir.path().join("entries").join(format!("entry-{n}.yaml")),
            yaml,
        )
        .expect("entry written");
        if n % (entries / 100).max(1) == 0 {
            questions.push(lexicon.sentence(&mut rng, Lang::Ja, &topic[..2]));
            questions.push(lexicon.sentence(&mut rng, Lang::En, &topic[1..]));
        }
    }
    (dir, questions)
}

/// Questions about the shipped FAQ, written for the benchmark.
const SHIPPED_QUESTIONS: &[&str] = &[
    "パスワードをリセットしたい",
    "サインイン画面が英語で読めません",
    "セカンダリーユーザーは何人まで？",
    "IBM IDを忘れました、どうすれば",
    "テンポラリーパスコードはどこに書いてありますか",
    "ログインに何度も失敗してロックされました",
    "which browsers work with PAO",
    "how do I sign out of passport advantage online",
    "I have two sites but can only open one",
    "what is the weather in Tokyo",
    "cookie error when signing in",
    "the portal shows english after i log in",
];

/// `ask/{name}`: the whole match of each of `questions` in turn; `fold/{name}`: their
/// folding alone.
fn ask_all(bot: &Answerer, questions: &[String], c: &mut Criterion, name: &str) {
    let mut next = 0;
    c.bench_function(&format!("ask/{name}"), |b| {
        b.iter(|| {
            let question = &questions[next % questions.len()];
            next += 1;
            black_box(bot.ask(black_box(question), Lang::Ja))
        })
    });
    let mut next = 0;
    c.bench_function(&format!("fold/{name}"), |b| {
        b.iter(|| {
            let question = &questions[next % questions.len()];
            next += 1;
            black_box(fold(black_box(question)))
        })
    });
}

fn shipped(c: &mut Criterion) {
    c.bench_function("load_and_index/shipped", |b| {
        b.iter(|| Answerer::load(&shipped_faq()).expect("the shipped FAQ loads"))
    });
    let bot = Answerer::load(&shipped_faq()).expect("the shipped FAQ loads");
    let questions: Vec<String> = SHIPPED_QUESTIONS.iter().map(|q| q.to_string()).collect();
    ask_all(&bot, &questions, c, "shipped");
}

fn synthetic(c: &mut Criterion) {
    let (dir, questions) = synthetic_faq(SYNTHETIC_ENTRIES);
    let mut group = c.benchmark_group("load_and_index");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("synthetic_10k", |b| {
        b.iter(|| Answerer::load(dir.path()).expect("the synthetic FAQ loads"))
    });
    group.finish();
    let bot = Answerer::load(dir.path()).expect("the synthetic FAQ loads");
    ask_all(&bot, &questions, c, "synthetic_10k");
}

criterion_group!(benches, shipped, synthetic);
criterion_main!(benches);
