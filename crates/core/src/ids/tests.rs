//! Identifiers parsed at the edge: what each accepts, what it refuses and the message it gives.

use super::*;
use proptest::prelude::*;

#[test]
fn uf_table_is_in_declaration_order() {
    for (i, row) in UF_TABLE.iter().enumerate() {
        assert_eq!(row.0 as usize, i, "{}", row.1);
        assert_eq!(format!("{:?}", row.0), row.1);
        assert_eq!(Uf::ALL[i], row.0);
    }
    let mut codes: Vec<u8> = Uf::ALL.iter().map(|u| u.ibge_code()).collect();
    codes.dedup();
    assert_eq!(codes.len(), 27);
    assert!(codes.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn uf_parses_and_names() {
    assert_eq!(Uf::parse("GO"), Ok(Uf::GO));
    assert_eq!(Uf::parse(" go "), Ok(Uf::GO));
    assert_eq!(Uf::parse("Mg"), Ok(Uf::MG));
    assert_eq!(Uf::GO.ibge_code(), 52);
    assert_eq!(Uf::MG.ibge_code(), 31);
    assert_eq!(Uf::RJ.ibge_code(), 33);
    assert_eq!(Uf::GO.name(), "Goiás");
    assert_eq!(Uf::DF.name(), "Distrito Federal");
    assert_eq!(Uf::SP.to_string(), "SP");
    assert_eq!(Uf::from_ibge_code(53), Some(Uf::DF));
    assert_eq!(Uf::from_ibge_code(34), None);
    for bad in ["", "G", "GOI", "XX", "52", "G0"] {
        assert_eq!(Uf::parse(bad), Err(UfError::Unknown), "{bad:?}");
    }
    assert_eq!(
        UfError::Unknown.to_string(),
        "esperado sigla de UF (ex.: GO, MG, RJ)"
    );
}

#[test]
fn ibge_known_codes() {
    let goiania = IbgeCode::parse("5208707").unwrap();
    assert_eq!(goiania.as_str(), "5208707");
    assert_eq!(goiania.to_u32(), 5_208_707);
    assert_eq!(goiania.uf_code(), 52);
    assert_eq!(goiania.uf(), Uf::GO);
    assert_eq!(goiania.to_string(), "5208707");
    assert_eq!(format!("{goiania:?}"), "IbgeCode(5208707)");
    for code in ["3106200", "3304557", "1100015", "5300108", " 3550308 "] {
        assert!(IbgeCode::parse(code).is_ok(), "{code}");
    }
}

#[test]
fn ibge_check_digit_rule() {
    // 520870 → 5·1, 2·2, 0·1, 8·2=16→7, 7·1, 0·2 = 5+4+0+7+7+0 = 23 → (10 − 3) mod 10 = 7.
    assert_eq!(ibge_check_digit(&[5, 2, 0, 8, 7, 0]), 7);
    assert_eq!(IbgeCode::parse("5208708"), Err(IbgeCodeError::CheckDigit));
    assert_eq!(IbgeCode::parse("520870"), Err(IbgeCodeError::Format));
    assert_eq!(IbgeCode::parse("52087070"), Err(IbgeCodeError::Format));
    assert_eq!(IbgeCode::parse("52O8707"), Err(IbgeCodeError::Format));
    assert_eq!(IbgeCode::parse("5208707.0"), Err(IbgeCodeError::Format));
    assert_eq!(IbgeCode::parse(""), Err(IbgeCodeError::Format));
    // 99 is no state: computed check digit for 990000 is (10 − (9+9)) mod 10 = 2.
    assert_eq!(
        IbgeCode::parse("9900002"),
        Err(IbgeCodeError::UnknownUf { code: 99 })
    );
}

#[test]
fn ibge_exceptions_are_accepted_and_fail_the_rule() {
    for code in IBGE_CHECK_DIGIT_EXCEPTIONS {
        let parsed = IbgeCode::parse(code).unwrap();
        assert_eq!(parsed.as_str(), code);
        let n: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        assert_ne!(ibge_check_digit(&n[..6]), n[6], "{code} satisfies the rule");
    }
    // A neighbour of an exception with a wrong digit is still rejected.
    assert_eq!(IbgeCode::parse("2201918"), Err(IbgeCodeError::CheckDigit));
}

#[test]
fn ibge_serde() {
    let code = IbgeCode::parse("5208707").unwrap();
    assert_eq!(serde_json::to_string(&code).unwrap(), r#""5208707""#);
    assert_eq!(
        serde_json::from_str::<IbgeCode>(r#""5208707""#).unwrap(),
        code
    );
    assert!(serde_json::from_str::<IbgeCode>("5208707").is_err());
}

#[test]
fn cpf_valid() {
    for (text, digits) in [
        ("529.982.247-25", "52998224725"),
        ("52998224725", "52998224725"),
        ("111.444.777-35", "11144477735"),
        (" 111 444 777 35 ", "11144477735"),
    ] {
        assert_eq!(Cpf::parse(text).unwrap().digits(), digits, "{text}");
    }
}

#[test]
fn cpf_invalid() {
    let cases = [
        ("529.982.247-26", CpfError::CheckDigit),
        ("529.982.247-15", CpfError::CheckDigit),
        ("111.444.777-53", CpfError::CheckDigit),
        ("111.111.111-11", CpfError::RepeatedDigits),
        ("00000000000", CpfError::RepeatedDigits),
        ("99999999999", CpfError::RepeatedDigits),
        ("5299822472", CpfError::Format),
        ("529982247250", CpfError::Format),
        ("529.982.247/25", CpfError::Format),
        ("529.982.247-2a", CpfError::Format),
        ("", CpfError::Format),
        ("٥٢٩٩٨٢٢٤٧٢٥", CpfError::Format),
    ];
    for (text, err) in cases {
        assert_eq!(Cpf::parse(text), Err(err), "{text:?}");
    }
    assert_eq!(
        CpfError::CheckDigit.to_string(),
        "CPF com dígito verificador inválido"
    );
}

#[test]
fn cpf_never_leaks() {
    let cpf = Cpf::parse("529.982.247-25").unwrap();
    assert_eq!(cpf.masked(), "***.982.247-**");
    assert_eq!(cpf.to_string(), "***.982.247-**");
    assert_eq!(format!("{cpf:?}"), "Cpf(***.982.247-**)");
    assert_eq!(format!("{:?}", Some(cpf)), "Some(Cpf(***.982.247-**))");
    assert_eq!(cpf.formatted(), "529.982.247-25");
    assert_eq!(cpf.digits(), "52998224725");
    assert_eq!(
        serde_json::from_str::<Cpf>(r#""529.982.247-25""#).unwrap(),
        cpf
    );
}

#[test]
fn cpf_complete() {
    assert_eq!(
        Cpf::complete("529982247").unwrap().formatted(),
        "529.982.247-25"
    );
    assert_eq!(Cpf::complete("111444777").unwrap().digits(), "11144477735");
    assert_eq!(Cpf::complete("222222222"), Err(CpfError::RepeatedDigits));
    assert_eq!(Cpf::complete("52998224"), Err(CpfError::Format));
    assert_eq!(Cpf::complete("529.982.2"), Err(CpfError::Format));
}

#[test]
fn registration() {
    assert_eq!(
        Registration::parse(" 123.456-7 ").unwrap().as_str(),
        "123.456-7"
    );
    assert_eq!(Registration::parse("ab/12").unwrap().as_str(), "AB/12");
    assert_eq!(
        Registration::parse("ab/12").unwrap(),
        Registration::parse("AB/12").unwrap()
    );
    assert_eq!(
        Registration::parse("A".repeat(20).as_str())
            .unwrap()
            .as_str()
            .len(),
        20
    );
    assert_eq!(
        Registration::parse(&"1".repeat(21)),
        Err(CodeError::TooLong { max: 20 })
    );
    assert_eq!(Registration::parse("   "), Err(CodeError::Empty));
    assert_eq!(
        Registration::parse("12 34"),
        Err(CodeError::InvalidChar {
            ch: ' ',
            allowed: "letras e dígitos sem acento e os sinais - . /"
        })
    );
    assert!(Registration::parse("JOÃO1").is_err());
    assert_eq!(
        Registration::parse("12_3").unwrap_err().to_string(),
        "caractere '_' não permitido: use apenas letras e dígitos sem acento e os sinais - . /"
    );
}

#[test]
fn bo_number() {
    let bo = BoNumber::parse(" 2024-000123456-001 ").unwrap();
    assert_eq!(bo.as_str(), "2024-000123456-001");
    assert_eq!(
        BoNumber::parse("BO nº 12/2024").unwrap().as_str(),
        "BO nº 12/2024"
    );
    assert_eq!(BoNumber::parse(""), Err(CodeError::Empty));
    assert!(matches!(
        BoNumber::parse("12\u{0}34"),
        Err(CodeError::InvalidChar { ch: '\u{0}', .. })
    ));
    assert!(BoNumber::parse("12\n34").is_err());
    assert!(BoNumber::parse(&"é".repeat(64)).is_ok());
    assert_eq!(
        BoNumber::parse(&"é".repeat(65)),
        Err(CodeError::TooLong { max: 64 })
    );
}

#[test]
fn territory_and_unit_codes() {
    for ok in ["AISP1", "5208707", "RJ-AISP05", "cisp_12.3"] {
        assert_eq!(TerritoryCode::parse(ok).unwrap().as_str(), ok);
        assert_eq!(UnitCode::parse(ok).unwrap().to_string(), ok);
    }
    assert_ne!(
        TerritoryCode::parse("aisp1").unwrap(),
        TerritoryCode::parse("AISP1").unwrap()
    );
    for bad in ["", "AISP 1", "AISP/1", "Área1"] {
        assert!(TerritoryCode::parse(bad).is_err(), "{bad:?}");
        assert!(UnitCode::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        TerritoryCode::parse(&"A".repeat(65)),
        Err(CodeError::TooLong { max: 64 })
    );
    let code = TerritoryCode::parse("AISP1").unwrap();
    assert_eq!(serde_json::to_string(&code).unwrap(), r#""AISP1""#);
    assert!(serde_json::from_str::<TerritoryCode>(r#""AISP 1""#).is_err());
}

fn valid_ibge() -> impl Strategy<Value = IbgeCode> {
    (0usize..27, 0u32..10_000).prop_map(|(uf, rest)| {
        let s = format!("{}{rest:04}", Uf::ALL[uf].ibge_code());
        let n: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        IbgeCode::parse(&format!("{s}{}", ibge_check_digit(&n))).unwrap()
    })
}

fn cpf_base() -> impl Strategy<Value = String> {
    "[0-9]{9}".prop_filter("not all the same digit", |s| {
        s.bytes().any(|b| b != s.as_bytes()[0])
    })
}

proptest! {
    #[test]
    fn ibge_round_trips(code in valid_ibge()) {
        prop_assert_eq!(IbgeCode::parse(&code.to_string()), Ok(code));
        prop_assert_eq!(code.to_u32().to_string(), code.as_str());
    }

    #[test]
    fn ibge_one_wrong_digit_is_caught(code in valid_ibge(), delta in 1u8..10) {
        // Changing the check digit always breaks the rule (exceptions aside).
        let s = code.as_str();
        let last = (s.as_bytes()[6] - b'0' + delta) % 10;
        let changed = format!("{}{last}", &s[..6]);
        if !IBGE_CHECK_DIGIT_EXCEPTIONS.contains(&changed.as_str()) {
            prop_assert_eq!(IbgeCode::parse(&changed), Err(IbgeCodeError::CheckDigit));
        }
    }

    #[test]
    fn cpf_check_digits_validate(base in cpf_base()) {
        let cpf = Cpf::complete(&base).unwrap();
        prop_assert_eq!(&cpf.digits()[..9], base.as_str());
        prop_assert_eq!(Cpf::parse(cpf.digits()), Ok(cpf));
        prop_assert_eq!(Cpf::parse(&cpf.formatted()), Ok(cpf));
        let masked = cpf.masked();
        prop_assert_eq!(&masked[4..7], &base[3..6]);
        prop_assert_eq!(&masked[8..11], &base[6..9]);
    }

    #[test]
    fn cpf_wrong_check_digit_is_caught(base in cpf_base(), which in 9usize..11, delta in 1u8..10) {
        let cpf = Cpf::complete(&base).unwrap();
        let mut digits = cpf.digits().as_bytes().to_vec();
        digits[which] = b'0' + (digits[which] - b'0' + delta) % 10;
        let text = String::from_utf8(digits).unwrap();
        prop_assert!(Cpf::parse(&text).is_err());
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,80}") {
        let _ = Uf::parse(&s);
        let _ = IbgeCode::parse(&s);
        let _ = Cpf::parse(&s);
        let _ = Cpf::complete(&s);
        let _ = Registration::parse(&s);
        let _ = BoNumber::parse(&s);
        let _ = TerritoryCode::parse(&s);
        let _ = UnitCode::parse(&s);
    }

    #[test]
    fn parsers_never_panic_on_digits(s in "[0-9 .\\-]{0,16}") {
        let _ = IbgeCode::parse(&s);
        let _ = Cpf::parse(&s);
        let _ = Cpf::complete(&s);
    }

    #[test]
    fn codes_round_trip(s in "[A-Za-z0-9_.\\-]{1,64}") {
        let t = TerritoryCode::parse(&s).unwrap();
        prop_assert_eq!(TerritoryCode::parse(&format!("{t}")), Ok(t));
    }
}
