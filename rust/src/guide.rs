//! The implementation guides as data: the tables `sdohedi.validate.guide` compiles from pyx12's
//! maps, written once as JSON (`schemas/guides/`, layout in its README) and compiled into the
//! core with `include_str!`, so the core needs no file at run time and its tables cannot be out
//! of step with the binary. They are parsed on first use.
//!
//! Counters are keyed by pyx12's x12 paths (`/ISA_LOOP/GS_LOOP/ST_LOOP/HEADER/BHT`), shared by
//! every guide: the counts of the envelope kept while the control map is walked are the ones the
//! transaction's map checks after the GS. Paths are interned once for all guides.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use serde::Deserialize;

/// pyx12's "no maximum" (">1" in the maps).
pub const UNBOUNDED: u32 = 2_147_483_647;

const INDEX: &str = include_str!("../../schemas/guides/index.json");
const FILES: &[(&str, &str)] = &[
    (
        "x12.control.00501.json",
        include_str!("../../schemas/guides/x12.control.00501.json"),
    ),
    (
        "837.5010.X222.A1.json",
        include_str!("../../schemas/guides/837.5010.X222.A1.json"),
    ),
    (
        "835.5010.X221.A1.json",
        include_str!("../../schemas/guides/835.5010.X221.A1.json"),
    ),
    (
        "999.5010X231.A1.json",
        include_str!("../../schemas/guides/999.5010X231.A1.json"),
    ),
    (
        "277.5010.X214.json",
        include_str!("../../schemas/guides/277.5010.X214.json"),
    ),
];
const FORMAT: u32 = 1;

// -- the files, as serde reads them -----------------------------------------------------------

#[derive(Deserialize)]
struct IndexFile {
    format: u32,
    control: String,
    groups: Vec<GroupEntry>,
}

#[derive(Deserialize)]
struct GroupEntry {
    gs01: String,
    gs08: String,
    guide: String,
}

#[derive(Deserialize)]
struct GuideFile {
    format: u32,
    map: String,
    transaction: String,
    title: String,
    loops: Vec<LoopData>,
    segments: Vec<SegmentData>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum NodeRef {
    Loop(usize),
    Segment(usize),
}

#[derive(Deserialize)]
struct LoopData {
    id: String,
    name: String,
    usage: String,
    pos: i64,
    repeat: u32,
    #[serde(rename = "type")]
    kind: Option<String>,
    path: String,
    report_id: Option<String>,
    parent: Option<usize>,
    children: Vec<(i64, Vec<NodeRef>)>,
}

type KeyData = (usize, Option<usize>, Vec<String>);

#[derive(Deserialize)]
struct SegmentData {
    id: String,
    name: String,
    usage: String,
    pos: i64,
    max_use: u32,
    path: String,
    parent: usize,
    loop_id: Option<String>,
    key: Option<KeyData>,
    coded: Vec<KeyData>,
    syntax: Vec<(String, Vec<u32>)>,
    elements: Vec<ElementRow>,
}

/// An element or a composite as the file has it: one shape for both (serde's untagged enums
/// buffer every value first, which made loading the tables several times slower).
#[derive(Deserialize)]
struct ElementRow {
    seq: u32,
    refdes: String,
    name: String,
    usage: String,
    data_ele: String,
    #[serde(default)]
    data_type: String,
    #[serde(default)]
    min_len: u32,
    #[serde(default)]
    max_len: u32,
    #[serde(default)]
    codes: Vec<String>,
    #[serde(default)]
    first_code: String,
    #[serde(default)]
    external: Option<String>,
    #[serde(default)]
    regex: Option<String>,
    components: Option<Vec<Element>>,
}

impl From<ElementRow> for ElementData {
    fn from(e: ElementRow) -> Self {
        match e.components {
            Some(components) => {
                let components = components
                    .into_iter()
                    .map(|c| c.with_facts(Some(&e.usage)))
                    .collect();
                ElementData::Composite(Composite {
                    seq: e.seq,
                    refdes: e.refdes,
                    name: e.name,
                    usage: e.usage,
                    data_ele: e.data_ele,
                    components,
                })
            }
            None => ElementData::Simple(
                Element {
                    seq: e.seq,
                    refdes: e.refdes,
                    name: e.name,
                    usage: e.usage,
                    data_ele: e.data_ele,
                    data_type: e.data_type,
                    min_len: e.min_len,
                    max_len: e.max_len,
                    codes: e.codes,
                    first_code: e.first_code,
                    external: e.external,
                    regex: e.regex,
                    facts: Facts::default(),
                }
                .with_facts(None),
            ),
        }
    }
}

/// A simple element or a composite (which has components).
#[derive(Clone, Debug)]
pub enum ElementData {
    Composite(Composite),
    Simple(Element),
}

#[derive(Clone, Debug)]
pub struct Composite {
    pub seq: u32,
    pub refdes: String,
    pub name: String,
    pub usage: String,
    pub data_ele: String,
    pub components: Vec<Element>,
}

#[derive(Deserialize, Clone, Debug)]
pub struct Element {
    pub seq: u32,
    pub refdes: String,
    pub name: String,
    pub usage: String,
    pub data_ele: String,
    pub data_type: String,
    pub min_len: u32,
    pub max_len: u32,
    pub codes: Vec<String>,
    pub first_code: String,
    pub external: Option<String>,
    pub regex: Option<String>,
    /// What the checks of a value ask, worked out from the fields above when the tables load.
    #[serde(skip)]
    pub facts: Facts,
}

impl Element {
    /// `composite_usage`: the usage of the composite the element is a component of.
    fn with_facts(mut self, composite_usage: Option<&str>) -> Self {
        let dt = self.data_type.as_str();
        let base = match dt {
            "AN" | "ID" => Some(Base::Text),
            "R" => Some(Base::Decimal),
            "TM" => Some(Base::Time),
            "DT" => Some(Base::Date),
            "D8" => Some(Base::Date8),
            "D6" => Some(Base::Date6),
            "N" | "N0" | "N1" | "N2" | "N3" | "N4" => Some(Base::Number),
            _ => None, // left alone, as pyx12 leaves them
        };
        let keys: Option<Vec<u64>> = self.codes.iter().map(|c| code_key(c.as_bytes())).collect();
        self.facts = Facts {
            required: self.usage == "R"
                && (self.seq != 1 || composite_usage.is_none_or(|u| u == "R")),
            not_used: self.usage == "N",
            text: dt == "AN" || dt == "ID",
            numeric: dt.starts_with('N') || dt == "R",
            base,
            qualifier: self.data_ele == "1250",
            qualified: self.data_ele == "1251",
            code_keys: keys.map(|mut k| {
                k.sort_unstable();
                k
            }),
        };
        self
    }
}

/// The base data types whose invalid values are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// AN, ID: the 5010 character set.
    Text,
    /// R
    Decimal,
    /// N, N0-N4
    Number,
    /// TM
    Time,
    /// DT: CCYYMMDD, YYMMDD or CCYYMMDDHHMM.
    Date,
    /// D8
    Date8,
    /// D6
    Date6,
}

/// What the checks of one element's value ask of its guide element.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Required where it sits: a composite's first component only when the composite is
    /// required too.
    pub required: bool,
    pub not_used: bool,
    /// AN or ID.
    pub text: bool,
    /// N* or R: the length is counted without sign and decimal point.
    pub numeric: bool,
    pub base: Option<Base>,
    /// Data element 1250 (a date/time format qualifier) and 1251 (the value it qualifies).
    pub qualifier: bool,
    pub qualified: bool,
    /// The codes as [`code_key`]s, sorted; None when one is too long to be a key.
    pub code_keys: Option<Vec<u64>>,
}

/// A code of at most 7 bytes as one number (its length in the low byte), so a code lookup
/// compares numbers, not strings; None for a longer one.
pub fn code_key(code: &[u8]) -> Option<u64> {
    if code.len() > 7 {
        return None;
    }
    let bytes = code.iter().fold(0u64, |k, &b| (k << 8) | u64::from(b));
    Some((bytes << 8) | code.len() as u64)
}

// -- the compiled tables ------------------------------------------------------------------------

/// A segment id of 1-3 bytes as one number (its length in the top byte); None for longer ones,
/// which no guide has.
pub fn packed_id(id: &[u8]) -> Option<u32> {
    if id.len() > 3 {
        return None;
    }
    Some(
        id.iter()
            .fold((id.len() as u32) << 24, |k, &b| (k << 8) | u32::from(b)),
    )
}

/// A multiply-rotate hasher for keys the tables bound (packed ids, node indices): std's SipHash
/// costs more than the walk itself there. Never used for keys the data chooses freely.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Where a qualifier is: (1-based element, component).
pub type KeyLocation = (usize, Option<usize>);

/// A node of a loop's children: a loop or a segment (indices into the guide's tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Loop(usize),
    Segment(usize),
}

/// Where a segment's qualifier is (1-based element, component) and the codes that identify it.
#[derive(Clone, Debug)]
pub struct Key {
    pub element: usize,
    pub component: Option<usize>,
    /// Sorted, for binary search.
    pub codes: Vec<Box<[u8]>>,
}

impl Key {
    fn from_data((element, component, codes): KeyData) -> Self {
        let mut codes: Vec<Box<[u8]>> = codes.into_iter().map(|c| c.into_bytes().into()).collect();
        codes.sort();
        Key {
            element,
            component,
            codes,
        }
    }

    pub fn accepts(&self, value: &[u8]) -> bool {
        self.codes.binary_search_by(|c| (**c).cmp(value)).is_ok()
    }
}

#[derive(Debug)]
pub struct Loop {
    pub id: String,
    pub name: String,
    pub usage: u8,
    pub pos: i64,
    pub max_repeat: u32,
    /// "wrapper" (HEADER, DETAIL, FOOTER: tables of the standard), "explicit" or none.
    pub kind: Option<String>,
    pub path: String,
    pub path_id: usize,
    /// The TR3 loop id findings name ('2010AA'); None for the root, wrappers and `*_LOOP`s.
    pub report_id: Option<String>,
    pub parent: Option<usize>,
    pub children: Vec<(i64, Vec<Node>)>,
    /// Path ids of this loop and of every loop below it (their counters restart on entry).
    pub descendant_frames: Vec<usize>,
}

impl Loop {
    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    pub fn first_node(&self) -> Option<Node> {
        self.children
            .first()
            .and_then(|(_, nodes)| nodes.first().copied())
    }

    pub fn child_nodes(&self) -> impl Iterator<Item = Node> + '_ {
        self.children
            .iter()
            .flat_map(|(_, nodes)| nodes.iter().copied())
    }
}

#[derive(Debug)]
pub struct Segment {
    pub id: String,
    pub name: String,
    pub usage: u8,
    pub pos: i64,
    pub max_use: u32,
    /// pyx12's x12 path: the key of this segment's counter, unique in its guide.
    pub path: String,
    pub path_id: usize,
    pub parent: usize,
    pub loop_id: Option<String>,
    pub key: Option<Key>,
    /// Every coded element (to choose between namesakes at one position).
    pub coded: Vec<Key>,
    /// Syntax notes: (P, R, C, L or E; the elements they relate).
    pub syntax: Vec<(char, Vec<u32>)>,
    pub elements: Vec<ElementData>,
    /// How many of `elements` an absent value can fault: past the last required simple element
    /// or composite, only present values need checking.
    pub required_until: usize,
}

#[derive(Debug)]
pub struct Guide {
    /// The pyx12 map file ('837.5010.X222.A1.xml').
    pub map: String,
    /// '837', '835', '999', '277' or 'control'.
    pub transaction: String,
    pub title: String,
    /// loops[0] is the map's root.
    pub loops: Vec<Loop>,
    pub segments: Vec<Segment>,
    /// Packed segment id -> where the qualifiers of its nodes are, sorted.
    pub key_locations: FxMap<u32, Vec<KeyLocation>>,
    by_path: HashMap<String, usize>,
}

impl Guide {
    /// The segment at pyx12 path `path`.
    pub fn segment_at(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    pub fn knows(&self, id: &[u8]) -> bool {
        packed_id(id).is_some_and(|k| self.key_locations.contains_key(&k))
    }
}

/// Every guide the core knows, and the interned counter paths they share.
#[derive(Debug)]
pub struct Tables {
    pub guides: Vec<Guide>,
    pub control: usize,
    /// (GS01, GS08) -> guide.
    pub groups: Vec<(String, String, usize)>,
    /// Interned paths, by id.
    pub paths: Vec<String>,
    /// Path id -> the path id of the loop whose counters hold it (its frame).
    pub frame_of: Vec<usize>,
}

impl Tables {
    pub fn guide_for(&self, gs01: &[u8], gs08: &[u8]) -> Option<usize> {
        self.groups
            .iter()
            .find(|(f, v, _)| f.as_bytes() == gs01 && v.as_bytes() == gs08)
            .map(|(_, _, g)| *g)
    }

    /// Ids of every path equal to `path` or below it.
    pub fn paths_under(&self, path: &str) -> Vec<usize> {
        let below = format!("{path}/");
        (0..self.paths.len())
            .filter(|&i| self.paths[i] == path || self.paths[i].starts_with(&below))
            .collect()
    }
}

struct Interner {
    ids: HashMap<String, usize>,
    paths: Vec<String>,
    frame_of: Vec<Option<usize>>,
}

impl Interner {
    fn id(&mut self, path: &str) -> usize {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.paths.len();
        self.ids.insert(path.to_owned(), id);
        self.paths.push(path.to_owned());
        self.frame_of.push(None);
        id
    }

    /// Counter `key` lives in frame `frame`: the same in every guide, or the tables are wrong.
    fn place(&mut self, key: usize, frame: usize) -> Result<(), String> {
        match self.frame_of[key] {
            Some(f) if f != frame => Err(format!(
                "counter {} is held by {} and by {}",
                self.paths[key], self.paths[f], self.paths[frame]
            )),
            _ => {
                self.frame_of[key] = Some(frame);
                Ok(())
            }
        }
    }
}

fn usage(text: &str) -> u8 {
    text.bytes().next().unwrap_or(b'S')
}

fn node(r: NodeRef, loops: usize, segments: usize) -> Result<Node, String> {
    match r {
        NodeRef::Loop(i) if i < loops => Ok(Node::Loop(i)),
        NodeRef::Segment(i) if i < segments => Ok(Node::Segment(i)),
        _ => Err("a child refers past the tables".to_owned()),
    }
}

fn compile(file: GuideFile, interner: &mut Interner) -> Result<Guide, String> {
    if file.format != FORMAT {
        return Err(format!(
            "{}: format {} (expected {FORMAT})",
            file.map, file.format
        ));
    }
    let (nl, ns) = (file.loops.len(), file.segments.len());
    let mut loops = Vec::with_capacity(nl);
    for lp in file.loops {
        if lp.parent.is_some_and(|p| p >= nl) {
            return Err(format!("{}: loop parent out of range", file.map));
        }
        let children = lp
            .children
            .into_iter()
            .map(|(pos, nodes)| {
                let nodes = nodes
                    .into_iter()
                    .map(|r| node(r, nl, ns))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((pos, nodes))
            })
            .collect::<Result<Vec<_>, String>>()?;
        loops.push(Loop {
            path_id: interner.id(&lp.path),
            id: lp.id,
            name: lp.name,
            usage: usage(&lp.usage),
            pos: lp.pos,
            max_repeat: lp.repeat,
            kind: lp.kind,
            path: lp.path,
            report_id: lp.report_id,
            parent: lp.parent,
            children,
            descendant_frames: Vec::new(),
        });
    }
    if loops.first().is_none_or(|root| !root.is_root()) {
        return Err(format!("{}: loops[0] is not the root", file.map));
    }
    let mut segments = Vec::with_capacity(ns);
    let mut key_locations: FxMap<u32, Vec<KeyLocation>> = FxMap::default();
    let mut by_path = HashMap::new();
    for (i, s) in file.segments.into_iter().enumerate() {
        if s.parent >= nl {
            return Err(format!("{}: segment parent out of range", file.map));
        }
        let key = s.key.map(Key::from_data);
        let packed = packed_id(s.id.as_bytes())
            .ok_or_else(|| format!("{}: segment id {} is too long", file.map, s.id))?;
        let locations = key_locations.entry(packed).or_default();
        if let Some(k) = &key {
            if !locations.contains(&(k.element, k.component)) {
                locations.push((k.element, k.component));
            }
        }
        by_path.entry(s.path.clone()).or_insert(i);
        let path_id = interner.id(&s.path);
        interner.place(path_id, loops[s.parent].path_id)?;
        segments.push(Segment {
            id: s.id,
            name: s.name,
            usage: usage(&s.usage),
            pos: s.pos,
            max_use: s.max_use,
            path: s.path,
            path_id,
            parent: s.parent,
            loop_id: s.loop_id,
            key,
            coded: s.coded.into_iter().map(Key::from_data).collect(),
            syntax: s
                .syntax
                .into_iter()
                .map(|(kind, els)| (kind.chars().next().unwrap_or('P'), els))
                .collect(),
            required_until: 0,
            elements: s.elements.into_iter().map(ElementData::from).collect(),
        });
        let seg = segments.last_mut().expect("just pushed");
        seg.required_until = seg
            .elements
            .iter()
            .rposition(|e| match e {
                ElementData::Simple(e) => e.facts.required,
                ElementData::Composite(c) => c.usage == "R",
            })
            .map_or(0, |i| i + 1);
    }
    for locations in key_locations.values_mut() {
        locations.sort_by_key(|&(e, c)| (e, c.unwrap_or(0)));
    }
    for i in 0..loops.len() {
        if let Some(p) = loops[i].parent {
            let (key, frame) = (loops[i].path_id, loops[p].path_id);
            interner.place(key, frame)?;
        }
        let mut below = Vec::new();
        collect_frames(&loops, i, &mut below);
        loops[i].descendant_frames = below;
    }
    Ok(Guide {
        map: file.map,
        transaction: file.transaction,
        title: file.title,
        loops,
        segments,
        key_locations,
        by_path,
    })
}

fn collect_frames(loops: &[Loop], i: usize, out: &mut Vec<usize>) {
    if !loops[i].is_root() {
        out.push(loops[i].path_id);
    }
    for n in loops[i].child_nodes() {
        if let Node::Loop(j) = n {
            collect_frames(loops, j, out);
        }
    }
}

fn load() -> Result<Tables, String> {
    let index: IndexFile = serde_json::from_str(INDEX).map_err(|e| format!("index.json: {e}"))?;
    if index.format != FORMAT {
        return Err(format!("index.json: format {}", index.format));
    }
    let mut interner = Interner {
        ids: HashMap::new(),
        paths: Vec::new(),
        frame_of: Vec::new(),
    };
    interner.id("/"); // the root's frame
    let mut guides = Vec::new();
    let mut by_file = HashMap::new();
    for (name, text) in FILES {
        let file: GuideFile = serde_json::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        by_file.insert(*name, guides.len());
        guides.push(compile(file, &mut interner)?);
    }
    let find = |name: &str| {
        by_file
            .get(name)
            .copied()
            .ok_or_else(|| format!("index.json names {name}, which is not compiled in"))
    };
    let control = find(&index.control)?;
    let groups = index
        .groups
        .into_iter()
        .map(|g| Ok((g.gs01, g.gs08, find(&g.guide)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let frame_of = interner
        .frame_of
        .iter()
        .enumerate()
        .map(|(i, f)| f.unwrap_or(i))
        .collect();
    Ok(Tables {
        guides,
        control,
        groups,
        paths: interner.paths,
        frame_of,
    })
}

/// The tables, parsed on first use. An error here is a bug in the committed files (a test
/// loads them), never in the data being read.
pub fn tables() -> Result<&'static Tables, &'static str> {
    static TABLES: OnceLock<Result<Tables, String>> = OnceLock::new();
    TABLES.get_or_init(load).as_ref().map_err(|e| e.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_tables_load() {
        let t = tables().unwrap();
        assert_eq!(t.guides.len(), FILES.len());
        assert_eq!(t.guides[t.control].transaction, "control");
        let p837 = &t.guides[t.guide_for(b"HC", b"005010X222A1").unwrap()];
        assert_eq!(p837.map, "837.5010.X222.A1.xml");
        let nm1 = p837
            .segments
            .iter()
            .find(|s| s.loop_id.as_deref() == Some("2010BA") && s.id == "NM1")
            .unwrap();
        assert!(nm1.key.as_ref().unwrap().accepts(b"IL"));
        assert!(p837.segment_at("/ISA_LOOP/GS_LOOP/GS").is_some());
        let clm = p837.segments.iter().find(|s| s.id == "CLM").unwrap();
        let ElementData::Simple(clm01) = &clm.elements[0] else {
            panic!("CLM01 is a simple element")
        };
        assert_eq!((clm01.data_ele.as_str(), clm01.max_len), ("1028", 38));
        let ElementData::Composite(clm05) = &clm.elements[4] else {
            panic!("CLM05 is a composite")
        };
        assert_eq!(clm05.components[0].external.as_deref(), Some("pos"));
    }
}
