//! `stationward key ...`: operator signing keys (generate, import, rotate, list, export).

use super::args::KeyCommand;
use super::{Failure, key_failure, ledger_failure};
use stationward::dirs::Dirs;

pub fn run(dirs: &Dirs, cmd: KeyCommand) -> Result<u8, Failure> {
    use stationward::attest::keys::{KeyInfo, MIN_KDF_ROUNDS, PublicKeyFormat, obtain_passphrase};
    use stationward::attest::{KeyStore, OperatorId};
    let store = KeyStore::new(&dirs.data);
    let describe = |verb: &str, info: &KeyInfo| {
        println!("{verb} ssh-ed25519 key for operator \"{}\"", info.operator);
        let kdf = info
            .kdf_rounds
            .map_or_else(String::new, |r| format!(", bcrypt {r} rounds"));
        println!(
            "  private key  {} (encrypted{kdf}, mode 0600)",
            info.private_key.display()
        );
        println!("  public key   {}", info.public_key.display());
        println!("  fingerprint  {}", info.fingerprint);
        println!("  trusted in   {}", store.allowed_signers_path().display());
    };
    match cmd {
        KeyCommand::Generate {
            operator,
            passphrase_file,
            kdf_rounds,
        } => {
            let operator = OperatorId::parse(&operator).map_err(|e| key_failure(&e))?;
            if kdf_rounds < MIN_KDF_ROUNDS {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is too low (at least {MIN_KDF_ROUNDS})"
                )));
            }
            if kdf_rounds > stationward::attest::keys::MAX_KDF_ROUNDS {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is too high (at most {}; 64 takes about a second)",
                    stationward::attest::keys::MAX_KDF_ROUNDS
                )));
            }
            let passphrase = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase for {operator}'s new key: "),
                true,
            )
            .map_err(|e| key_failure(&e))?;
            let info = store
                .generate(&operator, &passphrase, kdf_rounds)
                .map_err(|e| key_failure(&e))?;
            describe("Generated", &info);
            Ok(0)
        }
        KeyCommand::Import {
            file,
            operator,
            passphrase_file,
        } => {
            let operator = OperatorId::parse(&operator).map_err(|e| key_failure(&e))?;
            let passphrase = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase of {}: ", file.display()),
                false,
            )
            .map_err(|e| key_failure(&e))?;
            let info = store
                .import(&file, &operator, &passphrase)
                .map_err(|e| key_failure(&e))?;
            describe("Imported", &info);
            Ok(0)
        }
        KeyCommand::Rotate {
            operator,
            passphrase_file,
            new_passphrase_file,
            kdf_rounds,
        } => {
            use stationward::attest::keys::{
                MAX_KDF_ROUNDS, NEW_PASSPHRASE_ENV, obtain_passphrase_from,
            };
            let operator = OperatorId::parse(&operator).map_err(|e| key_failure(&e))?;
            if !(MIN_KDF_ROUNDS..=MAX_KDF_ROUNDS).contains(&kdf_rounds) {
                return Err(Failure::usage(format!(
                    "--kdf-rounds {kdf_rounds} is out of range ({MIN_KDF_ROUNDS} to {MAX_KDF_ROUNDS})"
                )));
            }
            let old = obtain_passphrase(
                passphrase_file.as_deref(),
                &format!("Passphrase of {operator}'s current key: "),
                false,
            )
            .map_err(|e| key_failure(&e))?;
            let new = obtain_passphrase_from(
                new_passphrase_file.as_deref(),
                NEW_PASSPHRASE_ENV,
                &format!("Passphrase for {operator}'s new key: "),
                true,
            )
            .map_err(|e| key_failure(&e))?;
            let (info, appended) = stationward::attest::ledger::rotate_key(
                &dirs.data,
                &operator,
                &old,
                &new,
                kdf_rounds,
                stationward::date::unix_now_secs(),
            )
            .map_err(|e| ledger_failure(&e))?;
            for repair in &appended.repairs {
                eprintln!("stationward: repaired the ledger: {repair}");
            }
            describe("Rotated to a new", &info);
            println!(
                "  recorded in  {} (head {})",
                stationward::attest::ledger::record_path(&dirs.data, appended.head.seq).display(),
                appended.head
            );
            let anchors: Vec<String> = appended
                .paper_anchors
                .iter()
                .map(ToString::to_string)
                .collect();
            println!(
                "The old key signs no more records. The paper form keeps each operator's first key; the rotation record vouches for the new one: {}",
                stationward::report::summary::verify_command(&appended.head.to_string(), &anchors)
            );
            Ok(0)
        }
        KeyCommand::List => {
            let keys = store.list().map_err(|e| key_failure(&e))?;
            if keys.is_empty() {
                println!(
                    "No operator keys in {}; create one with `stationward key generate --operator ID`.",
                    store.keys_dir().display()
                );
                return Ok(0);
            }
            let width = keys
                .iter()
                .map(|k| k.operator.as_str().len())
                .max()
                .unwrap_or(8)
                .max(8);
            println!(
                "{:<width$}  {:<50}  {:<10}  TRUSTED",
                "OPERATOR", "FINGERPRINT", "KDF"
            );
            for k in &keys {
                let kdf = match (k.has_private_key, k.kdf_rounds) {
                    (false, _) => "public only".to_string(),
                    (true, Some(r)) => format!("bcrypt/{r}"),
                    (true, None) => "unreadable".to_string(),
                };
                println!(
                    "{:<width$}  {:<50}  {:<10}  {}",
                    k.operator.as_str(),
                    k.fingerprint,
                    kdf,
                    if k.allowed { "yes" } else { "no" }
                );
            }
            for k in keys.iter().filter(|k| !k.shared_with.is_empty()) {
                println!(
                    "! SHARED KEY: {} ({}) is also the key of {}: one key per technician; a countersignature with it is refused",
                    k.operator.as_str(),
                    k.fingerprint,
                    stationward::text::for_terminal(&k.shared_with.join(", "))
                );
            }
            Ok(0)
        }
        KeyCommand::ExportPub { id, pem } => {
            let operator = OperatorId::parse(&id).map_err(|e| key_failure(&e))?;
            let format = if pem {
                PublicKeyFormat::Pem
            } else {
                PublicKeyFormat::OpenSsh
            };
            print!(
                "{}",
                store
                    .export_public(&operator, format)
                    .map_err(|e| key_failure(&e))?
            );
            Ok(0)
        }
    }
}
