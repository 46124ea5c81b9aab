//! Just enough DER reading for what the `openssl` crate does not expose: the CA flag of
//! basicConstraints and the subjectPublicKey bytes of a SubjectPublicKeyInfo. The input
//! always comes from OpenSSL's own encoder (`to_der`), so this only has to be correct for
//! valid DER, and safe (never panicking) for anything else.

pub(crate) const SEQUENCE: u8 = 0x30;
const BOOLEAN: u8 = 0x01;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
/// `[3] EXPLICIT Extensions` in a TBSCertificate.
const EXTENSIONS: u8 = 0xa3;
/// 2.5.29.19, id-ce-basicConstraints, the OID's content bytes.
const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];

/// The first TLV of `input`: its tag, its contents and what follows it. `None` for
/// anything that is not DER with a one-byte tag and a definite length.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tag: none in what we read
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > std::mem::size_of::<usize>() || rest.len() < n {
            return None; // indefinite length, or longer than any input
        }
        let (bytes, rest) = rest.split_at(n);
        let len = bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (contents, rest) = rest.split_at(len);
    Some((tag, contents, rest))
}

/// The contents of the first TLV of `input` if it has tag `tag`, and what follows it.
fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match tlv(input)? {
        (t, contents, rest) if t == tag => Some((contents, rest)),
        _ => None,
    }
}

/// The TLVs of a constructed value's contents, in order (stops at the first bad one).
fn items(mut contents: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, value, rest) = tlv(contents)?;
        contents = rest;
        Some((tag, value))
    })
}

/// Whether the DER certificate `cert` has basicConstraints with cA TRUE. `None` if the
/// certificate or the extension cannot be read.
pub(crate) fn is_ca(cert: &[u8]) -> Option<bool> {
    let (certificate, _) = expect(cert, SEQUENCE)?;
    let (tbs, _) = expect(certificate, SEQUENCE)?;
    let Some((_, extensions)) = items(tbs).find(|(tag, _)| *tag == EXTENSIONS) else {
        return Some(false); // a v1 certificate or one without extensions
    };
    let (extensions, _) = expect(extensions, SEQUENCE)?;
    for (tag, extension) in items(extensions) {
        if tag != SEQUENCE {
            return None;
        }
        // Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
        let (oid, rest) = expect(extension, OID)?;
        if oid != BASIC_CONSTRAINTS {
            continue;
        }
        let value = items(rest)
            .find(|(tag, _)| *tag == OCTET_STRING)
            .map(|(_, v)| v)?;
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
        let (constraints, _) = expect(value, SEQUENCE)?;
        return Some(match items(constraints).next() {
            Some((BOOLEAN, flag)) => flag.iter().any(|&b| b != 0),
            _ => false,
        });
    }
    Some(false)
}

/// The subjectPublicKey bytes of a DER SubjectPublicKeyInfo: the BIT STRING's contents
/// without its unused-bits byte (what RFC 6960's issuerKeyHash hashes).
pub(crate) fn spki_public_key(spki: &[u8]) -> Option<&[u8]> {
    // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
    let (spki, _) = expect(spki, SEQUENCE)?;
    let (_, rest) = expect(spki, SEQUENCE)?;
    let (bits, _) = expect(rest, BIT_STRING)?;
    match bits.split_first()? {
        (0, key) => Some(key),
        _ => None, // a key is whole bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_long_and_broken() {
        assert_eq!(
            tlv(&[0x04, 0x01, 0xaa, 0xbb]),
            Some((0x04, &[0xaa][..], &[0xbb][..]))
        );
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7, 0x80));
        let (_, contents, rest) = tlv(&long).unwrap();
        assert_eq!((contents.len(), rest.len()), (0x80, 0));
        assert_eq!(tlv(&[0x04, 0x02, 0xaa]), None); // truncated
        assert_eq!(tlv(&[0x30, 0x80, 0x00, 0x00]), None); // indefinite
        assert_eq!(tlv(&[0x04, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]), None); // too long
        assert_eq!(tlv(&[]), None);
        assert_eq!(tlv(&[0x1f, 0x01, 0x00]), None);
    }

    #[test]
    fn garbage_is_not_a_certificate_or_a_key() {
        assert_eq!(is_ca(b"not der"), None);
        assert_eq!(spki_public_key(&[0x30, 0x03, 0x30, 0x01]), None);
        // A BIT STRING with unused bits is not a key.
        assert_eq!(
            spki_public_key(&[0x30, 0x06, 0x30, 0x00, 0x03, 0x02, 0x01, 0xff]),
            None
        );
        assert_eq!(
            spki_public_key(&[0x30, 0x06, 0x30, 0x00, 0x03, 0x02, 0x00, 0xff]),
            Some(&[0xff][..])
        );
    }
}
