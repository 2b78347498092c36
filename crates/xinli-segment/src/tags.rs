//! The two-level tag tree: groups (level 1: demographic, value, behaviour, psychology) hold
//! categories (level 2: gender, RFM segment, journey stage, persona, …) which hold tags, each
//! defined by an expression. The tree is data — a TOML file the shop can edit; the default
//! ships in the crate ([`DEFAULT_TAGS_TOML`]).

use crate::error::ParseError;
use crate::expr::Expression;
use crate::value::{Record, Schema};
use serde::{Deserialize, Serialize};

/// The default tag tree (`src/tags.toml`).
pub const DEFAULT_TAGS_TOML: &str = include_str!("tags.toml");

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TagTree {
    #[serde(rename = "group", default)]
    pub groups: Vec<TagGroup>,
}

/// Level 1.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TagGroup {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    #[serde(rename = "category", default)]
    pub categories: Vec<TagCategory>,
}

/// Level 2.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TagCategory {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    #[serde(rename = "tag", default)]
    pub tags: Vec<Tag>,
}

/// A tag: an id unique in the tree, bilingual names and its expression.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub expr: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Errors loading or compiling a tag tree.
#[derive(Debug, Clone, PartialEq)]
pub enum TagError {
    /// The TOML does not parse or has the wrong shape.
    Toml(String),
    /// An id used twice (tags are unique across the tree; groups and categories within
    /// their parent).
    DuplicateId(String),
    /// Every tag whose expression does not compile, with its error.
    Expressions(Vec<(String, ParseError)>),
}

impl TagError {
    pub fn message_en(&self) -> String {
        match self {
            TagError::Toml(e) => format!("the tag file is not valid: {e}"),
            TagError::DuplicateId(id) => {
                format!("the id '{id}' is used more than once in the tag file")
            }
            TagError::Expressions(errors) => errors
                .iter()
                .map(|(id, e)| format!("tag '{id}': {}", e.render_en()))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            TagError::Toml(e) => format!("标签文件格式错误：{e}"),
            TagError::DuplicateId(id) => format!("标签文件中 id '{id}' 重复"),
            TagError::Expressions(errors) => errors
                .iter()
                .map(|(id, e)| format!("标签 '{id}'：{}", e.render_zh()))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message_en())
    }
}

impl std::error::Error for TagError {}

impl TagTree {
    /// The tree shipped with xinli.
    pub fn default_tree() -> TagTree {
        TagTree::from_toml_str(DEFAULT_TAGS_TOML).expect("the default tags.toml is valid")
    }

    pub fn from_toml_str(text: &str) -> Result<TagTree, TagError> {
        let tree: TagTree = toml::from_str(text).map_err(|e| TagError::Toml(e.to_string()))?;
        let mut tag_ids = std::collections::HashSet::new();
        let mut group_ids = std::collections::HashSet::new();
        for g in &tree.groups {
            if !group_ids.insert(g.id.as_str()) {
                return Err(TagError::DuplicateId(g.id.clone()));
            }
            let mut cat_ids = std::collections::HashSet::new();
            for c in &g.categories {
                if !cat_ids.insert(c.id.as_str()) {
                    return Err(TagError::DuplicateId(format!("{}/{}", g.id, c.id)));
                }
                for t in &c.tags {
                    if !tag_ids.insert(t.id.as_str()) {
                        return Err(TagError::DuplicateId(t.id.clone()));
                    }
                }
            }
        }
        Ok(tree)
    }

    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<TagTree, TagError> {
        let text = std::fs::read_to_string(path).map_err(|e| TagError::Toml(e.to_string()))?;
        TagTree::from_toml_str(&text)
    }

    /// Compiles every tag (against `schema` when given), reporting all bad tags at once.
    pub fn compile(&self, schema: Option<&Schema>) -> Result<CompiledTags, TagError> {
        let mut tags = Vec::new();
        let mut errors = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            for (ci, c) in g.categories.iter().enumerate() {
                for t in &c.tags {
                    match Expression::compile(&t.expr, schema) {
                        Ok(expr) => tags.push(CompiledTag {
                            group: gi,
                            category: ci,
                            expr,
                        }),
                        Err(e) => errors.push((t.id.clone(), e)),
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(TagError::Expressions(errors));
        }
        Ok(CompiledTags {
            tree: self.clone(),
            tags,
        })
    }

    /// Like [`compile`](Self::compile), but a tag that does not compile (say `age < 25` on a
    /// file whose `age` column holds text) is kept and matches nobody; its error is returned
    /// alongside, so one odd column does not stop every other tag.
    pub fn compile_lenient(
        &self,
        schema: Option<&Schema>,
    ) -> (CompiledTags, Vec<(String, ParseError)>) {
        let never = Expression::parse("false").expect("'false' parses");
        let mut tags = Vec::new();
        let mut errors = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            for (ci, c) in g.categories.iter().enumerate() {
                for t in &c.tags {
                    let expr = Expression::compile(&t.expr, schema).unwrap_or_else(|e| {
                        errors.push((t.id.clone(), e));
                        never.clone()
                    });
                    tags.push(CompiledTag {
                        group: gi,
                        category: ci,
                        expr,
                    });
                }
            }
        }
        (
            CompiledTags {
                tree: self.clone(),
                tags,
            },
            errors,
        )
    }

    /// Tags in tree order (the order of [`CompiledTags`] indices).
    pub fn tags(&self) -> impl Iterator<Item = (&TagGroup, &TagCategory, &Tag)> {
        self.groups.iter().flat_map(|g| {
            g.categories
                .iter()
                .flat_map(move |c| c.tags.iter().map(move |t| (g, c, t)))
        })
    }
}

#[derive(Debug, Clone)]
struct CompiledTag {
    group: usize,
    category: usize,
    expr: Expression,
}

/// A tag tree ready to evaluate. Tags are numbered in tree order.
#[derive(Debug, Clone)]
pub struct CompiledTags {
    tree: TagTree,
    tags: Vec<CompiledTag>,
}

/// A tag's place in the tree.
#[derive(Debug, Clone, Copy)]
pub struct TagRef<'a> {
    pub index: usize,
    pub group: &'a TagGroup,
    pub category: &'a TagCategory,
    pub tag: &'a Tag,
}

impl TagRef<'_> {
    /// `group/category/tag`, e.g. `value/rfm_segment/rfm_at_risk`.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.group.id, self.category.id, self.tag.id)
    }
}

/// Tag, category and group sizes over a set of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagSizes {
    pub total: usize,
    /// By tag index.
    pub tags: Vec<usize>,
    /// `[group][category]`: records with at least one tag of the category.
    pub categories: Vec<Vec<usize>>,
    /// By group: records with at least one tag of the group.
    pub groups: Vec<usize>,
}

impl CompiledTags {
    pub fn tree(&self) -> &TagTree {
        &self.tree
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    pub fn get(&self, index: usize) -> TagRef<'_> {
        let t = &self.tags[index];
        let group = &self.tree.groups[t.group];
        let category = &group.categories[t.category];
        let offset = self.tags[..index]
            .iter()
            .filter(|o| o.group == t.group && o.category == t.category)
            .count();
        TagRef {
            index,
            group,
            category,
            tag: &category.tags[offset],
        }
    }

    /// Index of the tag with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.tree.tags().position(|(_, _, t)| t.id == id)
    }

    /// The same tags with each expression replaced by `f(expression)`.
    pub(crate) fn map_expressions(&self, f: impl Fn(&Expression) -> Expression) -> CompiledTags {
        CompiledTags {
            tree: self.tree.clone(),
            tags: self
                .tags
                .iter()
                .map(|t| CompiledTag {
                    group: t.group,
                    category: t.category,
                    expr: f(&t.expr),
                })
                .collect(),
        }
    }

    /// The expression of tag `index`.
    pub fn expression(&self, index: usize) -> &Expression {
        &self.tags[index].expr
    }

    /// Indices of the tags the record carries, in tree order.
    pub fn tags_of<R: Record + ?Sized>(&self, record: &R) -> Vec<usize> {
        let mut out = Vec::new();
        self.tags_into(record, &mut out);
        out
    }

    /// Like [`tags_of`](Self::tags_of), reusing `out` (cleared first).
    pub fn tags_into<R: Record + ?Sized>(&self, record: &R, out: &mut Vec<usize>) {
        out.clear();
        out.extend(
            self.tags
                .iter()
                .enumerate()
                .filter(|(_, t)| t.expr.matches(record))
                .map(|(i, _)| i),
        );
    }

    /// Ids of the tags the record carries.
    pub fn tag_ids_of<R: Record + ?Sized>(&self, record: &R) -> Vec<&str> {
        let ids: Vec<&str> = self.tree.tags().map(|(_, _, t)| t.id.as_str()).collect();
        self.tags_of(record).into_iter().map(|i| ids[i]).collect()
    }

    /// Sizes per tag, category and group.
    pub fn sizes<R: Record>(&self, records: impl IntoIterator<Item = R>) -> TagSizes {
        let mut sizes = TagSizes {
            total: 0,
            tags: vec![0; self.tags.len()],
            categories: self
                .tree
                .groups
                .iter()
                .map(|g| vec![0; g.categories.len()])
                .collect(),
            groups: vec![0; self.tree.groups.len()],
        };
        let mut cat_hit: Vec<Vec<bool>> = self
            .tree
            .groups
            .iter()
            .map(|g| vec![false; g.categories.len()])
            .collect();
        let mut group_hit = vec![false; self.tree.groups.len()];
        for r in records {
            sizes.total += 1;
            cat_hit.iter_mut().for_each(|c| c.fill(false));
            group_hit.fill(false);
            for (i, t) in self.tags.iter().enumerate() {
                if t.expr.matches(&r) {
                    sizes.tags[i] += 1;
                    cat_hit[t.group][t.category] = true;
                    group_hit[t.group] = true;
                }
            }
            for (g, cats) in cat_hit.iter().enumerate() {
                for (c, &hit) in cats.iter().enumerate() {
                    sizes.categories[g][c] += usize::from(hit);
                }
                sizes.groups[g] += usize::from(group_hit[g]);
            }
        }
        sizes
    }

    /// Tags reading at least one field that `schema` lacks (they match nobody in such data):
    /// `(tag id, missing fields)`.
    pub fn missing_fields(&self, schema: &Schema) -> Vec<(String, Vec<String>)> {
        self.tree
            .tags()
            .zip(&self.tags)
            .filter_map(|((_, _, tag), t)| {
                let missing: Vec<String> = t
                    .expr
                    .fields()
                    .into_iter()
                    .filter(|f| schema.get(f).is_none())
                    .map(str::to_string)
                    .collect();
                (!missing.is_empty()).then(|| (tag.id.clone(), missing))
            })
            .collect()
    }
}
