// Package qcqp selects the channels to keep in a CNN by solving the
// discrete QCQP of Jeong et al. (AISTATS 2022): one binary mask per feature
// map, an objective that counts only weights whose input and output
// channels are both kept, and resource constraints (MACs, parameters,
// memory, latency) that are quadratic polynomials in the maps' channel
// counts.
//
// Problem is the solver's view, free of ONNX: maps with channel counts,
// layers with importance matrices between maps, and constraints over
// counts. The graph analysis that builds a Problem from a model, the
// solvers, and the surgery that removes the channels from the ONNX file
// live in this package beside it.
package qcqp
