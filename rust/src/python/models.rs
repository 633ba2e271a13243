//! pydantic model instances built from values the core has already checked.
//!
//! A reader of the core fills plain dicts (field name -> value) while a loop is open; when it
//! hands a loop over, [`Models::build`] turns the dict tree into instances of the pydantic
//! classes the Python face named, without validating again: `model_validate` on values the
//! core proved costs more than reading them. An instance is what `model_construct` makes with
//! every field given: its `__dict__` holds every field in declaration order (the class's
//! defaults for what the dict lacks, a fresh list for a list default), `__pydantic_fields_set__`
//! names every field, `__pydantic_extra__` and `__pydantic_private__` are None. So the objects
//! are ordinary pydantic models (equality, dumps, copies, pickling, repr).
//!
//! Which field holds which nested model is read from the classes' own annotations by the Python
//! face (`sdohedi.models.build.model_specs`) and handed over once: nothing here names a field.

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFrozenSet, PyList, PySet, PyTuple, PyType};

/// `specs` as the Python face hands them: `(cls, template, list_fields, children, field_names)`.
type SpecTuple<'py> = (
    Bound<'py, PyType>,
    Bound<'py, PyDict>,
    Vec<Bound<'py, PyAny>>,
    Vec<(Bound<'py, PyAny>, usize, bool)>,
    Bound<'py, PyFrozenSet>,
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
    fields: Py<PyFrozenSet>,
}

/// The classes a reader builds, by the index the Python face gave them.
pub struct Models {
    specs: Vec<Spec>,
}

impl Models {
    /// `specs`: one tuple per class, `(cls, template, list_fields, children, field_names)`,
    /// `children` as `(field, spec_index, many)`.
    pub fn new(specs: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut out = Vec::new();
        for spec in specs.try_iter()? {
            let spec = spec?;
            let spec = spec.cast::<PyTuple>()?;
            let (cls, template, lists, children, fields): SpecTuple<'_> = spec.extract()?;
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
                fields: fields.unbind(),
            });
        }
        let n = out.len();
        if out.iter().any(|s| s.children.iter().any(|c| c.spec >= n)) {
            return Err(PyTypeError::new_err("a child spec index is out of range"));
        }
        Ok(Models { specs: out })
    }

    /// The instance of spec `index` whose fields are `values` (and the class's defaults).
    /// A nested value that is already an instance (not a dict) is kept as it is.
    pub fn build<'py>(
        &self,
        py: Python<'py>,
        index: usize,
        values: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec = &self.specs[index];
        let fields = spec.template.bind(py).copy()?;
        fields.update(values.as_mapping())?;
        for name in &spec.lists {
            if !values.contains(name.bind(py))? {
                fields.set_item(name.bind(py), PyList::empty(py))?;
            }
        }
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
        instance(py, spec, &fields)
    }
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
    let set = PySet::new(py, spec.fields.bind(py).iter())?;
    let none = py.None();
    generic_set(py, &obj, intern!(py, "__dict__"), fields.as_any())?;
    generic_set(
        py,
        &obj,
        intern!(py, "__pydantic_fields_set__"),
        set.as_any(),
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
