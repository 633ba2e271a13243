//! pydantic model instances built from values the core has already checked.
//!
//! A reader of the core fills plain dicts (field name -> value) while a loop is open; when it
//! hands a loop over, [`Models::build`] turns the dict tree into instances of the pydantic
//! classes the Python face named, without validating again: `model_validate` on values the
//! core proved costs more than reading them. An instance is what `model_construct` makes with
//! every field given: its `__dict__` holds every field in declaration order (the class's
//! defaults for what the dict lacks, a fresh list for a list default), `__pydantic_fields_set__`
//! names every field (one set per class), `__pydantic_extra__` and `__pydantic_private__` are None. So the objects
//! are ordinary pydantic models (equality, dumps, copies, pickling, repr).
//!
//! Which field holds which nested model is read from the classes' own annotations by the Python
//! face (`sdohedi.models.build.model_specs`) and handed over once: nothing here names a field.

use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PySet, PyTuple, PyType};

/// `specs` as the Python face hands them: `(cls, template, list_fields, children)`.
type SpecTuple<'py> = (
    Bound<'py, PyType>,
    Bound<'py, PyDict>,
    Vec<Bound<'py, PyAny>>,
    Vec<(Bound<'py, PyAny>, usize, bool)>,
);

/// One nested field: where it is, the spec of the model it holds, one model or a list of them.
struct Child {
    name: Py<PyAny>,
    spec: usize,
    many: bool,
}

/// What building one class needs, worked out once.
struct Spec {
    cls: Py<PyType>,
    /// Every field at its default (None when required), in declaration order.
    template: Py<PyDict>,
    /// Fields whose default is a new empty list (`default_factory=list`).
    lists: Vec<Py<PyAny>>,
    children: Vec<Child>,
    /// `__pydantic_fields_set__` of every instance: every field. One set per class, shared: a
    /// frozen model never adds to it, and pydantic copies it before a copy changes it.
    fields: Py<PySet>,
}

/// The classes a reader builds, by the index the Python face gave them.
pub struct Models {
    specs: Vec<Spec>,
}

impl Models {
    /// `specs`: one tuple per class, `(cls, template, list_fields, children)`,
    /// `children` as `(field, spec_index, many)`.
    /// `names`: the classes' names the caller's indices mean, checked against `specs`.
    pub fn new<S: AsRef<str>>(specs: &Bound<'_, PyAny>, names: &[S]) -> PyResult<Self> {
        let py = specs.py();
        let mut out = Vec::new();
        for spec in specs.try_iter()? {
            let spec = spec?;
            let spec = spec.cast::<PyTuple>()?;
            let (cls, template, lists, children): SpecTuple<'_> = spec.extract()?;
            // Every field is set: the template's keys.
            let fields = PySet::new(py, template.keys().iter())?.unbind();
            out.push(Spec {
                cls: cls.unbind(),
                template: template.unbind(),
                lists: lists.into_iter().map(Bound::unbind).collect(),
                children: children
                    .into_iter()
                    .map(|(name, spec, many)| Child {
                        name: name.unbind(),
                        spec,
                        many,
                    })
                    .collect(),
                fields,
            });
        }
        let given: Vec<String> = out
            .iter()
            .map(|s| s.cls.bind(py).name().map(|n| n.to_string()))
            .collect::<PyResult<_>>()?;
        if !given
            .iter()
            .map(String::as_str)
            .eq(names.iter().map(AsRef::as_ref))
        {
            let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
            return Err(PyTypeError::new_err(format!(
                "model specs are for {given:?}, the reader builds {names:?}"
            )));
        }
        let n = out.len();
        if out.iter().any(|s| s.children.iter().any(|c| c.spec >= n)) {
            return Err(PyTypeError::new_err("a child spec index is out of range"));
        }
        Ok(Models { specs: out })
    }

    /// A dict to fill with the values of spec `index`: every field at its default, in
    /// declaration order, list fields as new lists. [`Models::build`] makes it the instance's
    /// `__dict__` as it is.
    pub fn values<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyDict>> {
        let spec = &self.specs[index];
        let values = spec.template.bind(py).copy()?;
        for name in &spec.lists {
            values.set_item(name.bind(py), new_list(py))?;
        }
        // Untracked from the start (see `untrack`): until it is handed over, only the reader
        // holds it.
        untrack(values.as_any());
        Ok(values)
    }

    /// The instance of spec `index` whose fields are `values` (and the class's defaults for
    /// what it lacks); nested dicts become instances in place, a nested value that is
    /// already an instance is kept. A dict of [`Models::values`] becomes the instance's
    /// `__dict__`: the caller lets go of it.
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = &self.specs[index];
        // A dict of `values` holds every field (and no other: the readers set only fields):
        // it becomes the instance's own. Any other is laid over the defaults.
        let fields = if values.len() == spec.template.bind(py).len() {
            values.clone()
        } else {
            let fields = self.values(py, index)?;
            fields.update(values.as_mapping())?;
            fields
        };
        for child in &spec.children {
            let name = child.name.bind(py);
            let Some(value) = fields.get_item(name)? else {
                continue;
            };
            if child.many {
                if let Ok(items) = value.cast::<PyList>() {
                    for (i, item) in items.iter().enumerate() {
                        if let Ok(d) = item.cast::<PyDict>() {
                            items.set_item(i, self.build(py, child.spec, d)?)?;
                        }
                    }
                }
            } else if let Ok(d) = value.cast::<PyDict>() {
                fields.set_item(name, self.build(py, child.spec, d)?)?;
            }
        }
        let obj = instance(py, spec, &fields)?;
        untrack(obj.as_any());
        untrack(fields.as_any()); // setting the nested instances into it tracked it again
        Ok(obj)
    }
}

/// `_core.ModelBuilder`: [`Models`] for Python code that has checked its values itself (the 837P
/// reader, `sdohedi.models.build.model_makers`).
#[pyclass(module = "sdohedi._core", frozen)]
pub struct ModelBuilder {
    models: Models,
}

#[pymethods]
impl ModelBuilder {
    /// `specs` of `sdohedi.models.build.model_specs`; `names`: the classes' names, in order.
    #[new]
    fn new(specs: &Bound<'_, PyAny>, names: Vec<String>) -> PyResult<Self> {
        Ok(ModelBuilder {
            models: Models::new(specs, &names)?,
        })
    }

    /// The instance of class `index` whose fields are `values` (see [`Models::build`]): a dict
    /// of as many keys as the class has fields is taken to hold them all, in declaration order,
    /// and becomes its `__dict__`; a smaller one is laid over the class's defaults. Nothing is
    /// checked (comparing every key cost more than building the instance).
    fn build<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.check(index)?;
        self.models.build(py, index, values)
    }

    /// `build(index, …)` as a callable of one argument (no `functools.partial` layer between).
    fn maker(slf: Bound<'_, Self>, index: usize) -> PyResult<Maker> {
        slf.get().check(index)?;
        Ok(Maker {
            builder: slf.unbind(),
            index,
        })
    }
}

impl ModelBuilder {
    fn check(&self, index: usize) -> PyResult<()> {
        if index < self.models.specs.len() {
            Ok(())
        } else {
            Err(PyIndexError::new_err("no model spec of that index"))
        }
    }
}

/// One class of a [`ModelBuilder`]: `maker(values)` is `builder.build(index, values)`.
#[pyclass(module = "sdohedi._core", frozen)]
pub struct Maker {
    builder: Py<ModelBuilder>,
    index: usize,
}

#[pymethods]
impl Maker {
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // The index was checked when the maker was made.
        self.builder.get().models.build(py, self.index, values)
    }
}

/// A new empty list for a model's field, left out of the collector's walks (see `untrack`).
pub fn new_list(py: Python<'_>) -> Bound<'_, PyList> {
    let list = PyList::empty(py);
    untrack(list.as_any());
    list
}

/// `object.__new__(cls)` with its four pydantic slots set, bypassing the class's (frozen)
/// `__setattr__` as `model_construct` does.
fn instance<'py>(
    py: Python<'py>,
    spec: &Spec,
    fields: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    let cls = spec.cls.bind(py);
    #[allow(unsafe_code)]
    // SAFETY: `cls` is a live type object; tp_alloc returns a new reference or NULL with an
    // exception set, which from_owned_ptr_or_err turns into the error.
    let obj = unsafe {
        let tp = cls.as_ptr() as *mut ffi::PyTypeObject;
        let slot = ffi::PyType_GetSlot(tp, ffi::Py_tp_alloc);
        let alloc: ffi::allocfunc = if slot.is_null() {
            ffi::PyType_GenericAlloc
        } else {
            std::mem::transmute::<*mut std::ffi::c_void, ffi::allocfunc>(slot)
        };
        Bound::from_owned_ptr_or_err(py, alloc(tp, 0))?
    };
    let none = py.None();
    generic_set(py, &obj, intern!(py, "__dict__"), fields.as_any())?;
    generic_set(
        py,
        &obj,
        intern!(py, "__pydantic_fields_set__"),
        spec.fields.bind(py).as_any(),
    )?;
    generic_set(py, &obj, intern!(py, "__pydantic_extra__"), none.bind(py))?;
    generic_set(py, &obj, intern!(py, "__pydantic_private__"), none.bind(py))?;
    Ok(obj)
}

fn generic_set(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    name: &Bound<'_, pyo3::types::PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    #[allow(unsafe_code)]
    // SAFETY: all three are live objects; the call borrows them and returns -1 with an
    // exception set on failure.
    let rc = unsafe { ffi::PyObject_GenericSetAttr(obj.as_ptr(), name.as_ptr(), value.as_ptr()) };
    if rc < 0 {
        Err(PyErr::fetch(py))
    } else {
        Ok(())
    }
}

/// Leave an object the core built out of the cyclic collector's walks. The instances built
/// here hold text, numbers, dates, None, other such instances and lists of them, and nothing
/// refers back up: no cycle can form among them, so the collector has nothing to find there,
/// and walking every live claim, line and adjustment each time a generation fills was a third
/// of reading an 835. CPython untracks dicts and tuples of atomic values for the same reason
/// (and msgspec its `gc=False` structs). Reference counting frees them as usual; only a cycle
/// a caller makes by putting a model inside its own list would outlive its last reference.
fn untrack(obj: &Bound<'_, PyAny>) {
    #[allow(unsafe_code)]
    // SAFETY: `obj` is a live object; both calls only read and clear its GC link, and
    // UnTrack is called only on an object that is tracked, as the C API requires.
    unsafe {
        if ffi::PyObject_GC_IsTracked(obj.as_ptr()) == 1 {
            ffi::PyObject_GC_UnTrack(obj.as_ptr().cast());
        }
    }
}
