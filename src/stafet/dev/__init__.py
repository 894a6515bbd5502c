"""Tools for developers and benchmarks, not for case work: nothing in the product imports this
package except the ``stafet dev`` commands, and those only when they run."""
