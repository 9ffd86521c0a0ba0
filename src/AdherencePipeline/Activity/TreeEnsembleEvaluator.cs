using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Transforms;

namespace AdherencePipeline.Activity;

/// <summary>
/// The boosted trees of a loaded ML.NET multiclass model, flattened into arrays and evaluated on a
/// span without allocation. It computes what ML.NET computes, in the same order and precision: per
/// class the sum in double of every tree's leaf value, in tree order, cast to float; then ML.NET's
/// one-versus-all softmax (exp in double, divided by the double sum, cast to float). Built only for
/// the shapes it understands (<see cref="TryCreate"/> says why not otherwise); ML.NET stays the loader.
/// </summary>
public sealed class TreeEnsembleEvaluator
{
    private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;

    // Trees of class c are _roots[_classStart[c] .. _classStart[c + 1]). Leaves are nodes too, after
    // the decision nodes, whose children are themselves: a walk of a tree's depth in steps ends on its
    // leaf whatever the path, so four trees can be walked side by side without a branch per step.
    // A node's values sit together (16 bytes), so a step touches one cache line.
    private readonly int[] _classStart;
    private readonly int[] _roots;
    private readonly int[] _depths;
    private readonly Node[] _nodes;
    private readonly bool[] _missingGoesLeft;
    private readonly double[] _value;
    private readonly bool _anyMissingGoesLeft;

    private TreeEnsembleEvaluator(int featureCount, int[] classStart, int[] roots, int[] feature, float[] threshold, int[] left, int[] right, bool[] missingGoesLeft, double[] leafValue)
    {
        FeatureCount = featureCount;
        _classStart = classStart;
        DecisionNodeCount = feature.Length;
        var decisions = feature.Length;
        _nodes = new Node[decisions + leafValue.Length];
        _value = new double[_nodes.Length];
        _missingGoesLeft = new bool[_nodes.Length];
        int Index(int child) => child >= 0 ? child : decisions + ~child;
        for (var i = 0; i < decisions; i++)
        {
            _nodes[i] = new Node { Feature = feature[i], Threshold = threshold[i], Left = Index(left[i]), Right = Index(right[i]) };
            _missingGoesLeft[i] = missingGoesLeft[i];
        }

        for (var l = 0; l < leafValue.Length; l++)
        {
            var self = decisions + l;
            _nodes[self] = new Node { Feature = 0, Threshold = 0, Left = self, Right = self };
            _value[self] = leafValue[l];
        }

        _roots = [.. roots.Select(Index)];
        _depths = [.. _roots.Select(Depth)];
        _anyMissingGoesLeft = Array.IndexOf(missingGoesLeft, true) >= 0;
    }

    /// <summary>Number of classes (scores per window).</summary>
    public int ClassCount => _classStart.Length - 1;

    /// <summary>Number of input features.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of trees over all classes.</summary>
    public int TreeCount => _roots.Length;

    /// <summary>Number of decision nodes over all trees.</summary>
    public int DecisionNodeCount { get; }

    /// <summary>Whether some node sends a missing (NaN) feature left, by ML.NET's default values for missing features.</summary>
    internal bool SendsSomeMissingLeft => _anyMissingGoesLeft;

    /// <summary>
    /// Writes the class probabilities of one feature vector into <paramref name="scores"/>, exactly as
    /// ML.NET's prediction of the same model gives them (bit for bit).
    /// </summary>
    public void Score(ReadOnlySpan<float> features, Span<float> scores)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"The model reads {FeatureCount} features, not {features.Length}.", nameof(features));
        }

        var classes = ClassCount;
        if (scores.Length != classes)
        {
            throw new ArgumentException($"The model gives {classes} scores, not {scores.Length}.", nameof(scores));
        }

        Span<double> exp = stackalloc double[classes];
        var sum = 0.0;
        for (var c = 0; c < classes; c++)
        {
            var raw = _anyMissingGoesLeft ? SumWithMissing(c, features) : Sum(c, features);

            // ML.NET hands each class's raw score over as float, then exponentiates it in double.
            exp[c] = Math.Exp((float)raw);
            sum += exp[c];
        }

        for (var c = 0; c < classes; c++)
        {
            scores[c] = (float)(exp[c] / sum);
        }
    }

    // The raw score of class c: its trees' leaf values added in tree order, in double, as ML.NET does.
    private double Sum(int c, ReadOnlySpan<float> features)
    {
        // Every feature index was checked against FeatureCount when the trees were read, and every
        // child index points into _nodes, so the walk reads through refs without bounds checks.
        ref var nodes = ref MemoryMarshal.GetArrayDataReference(_nodes);
        ref var x = ref MemoryMarshal.GetReference(features);
        var raw = 0.0;
        var t = _classStart[c];
        var end = _classStart[c + 1];
        for (; t + 4 <= end; t += 4)
        {
            int a = _roots[t], b = _roots[t + 1], d = _roots[t + 2], e = _roots[t + 3];
            var depth = Math.Max(Math.Max(_depths[t], _depths[t + 1]), Math.Max(_depths[t + 2], _depths[t + 3]));
            for (var step = 0; step < depth; step++)
            {
                a = Step(ref nodes, ref x, a);
                b = Step(ref nodes, ref x, b);
                d = Step(ref nodes, ref x, d);
                e = Step(ref nodes, ref x, e);
            }

            raw += _value[a];
            raw += _value[b];
            raw += _value[d];
            raw += _value[e];
        }

        for (; t < end; t++)
        {
            var a = _roots[t];
            for (var step = 0; step < _depths[t]; step++)
            {
                a = Step(ref nodes, ref x, a);
            }

            raw += _value[a];
        }

        return raw;
    }

    // NaN <= threshold is false, so without a default value for missing features NaN goes right, as in ML.NET.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Step(ref Node nodes, ref float x, int node)
    {
        ref var n = ref Unsafe.Add(ref nodes, node);
        var right = Unsafe.Add(ref x, n.Feature) <= n.Threshold ? 0 : 1;
        return Unsafe.Add(ref n.Left, right);
    }

    // Trees with ML.NET's default values for missing features: a NaN may go left at some nodes.
    private double SumWithMissing(int c, ReadOnlySpan<float> features)
    {
        var raw = 0.0;
        for (var t = _classStart[c]; t < _classStart[c + 1]; t++)
        {
            var node = _roots[t];
            for (var step = 0; step < _depths[t]; step++)
            {
                var n = _nodes[node];
                var value = features[n.Feature];
                node = value <= n.Threshold || (_missingGoesLeft[node] && float.IsNaN(value)) ? n.Left : n.Right;
            }

            raw += _value[node];
        }

        return raw;
    }

    private int Depth(int root)
    {
        // Leaves are the nodes that are their own children; trees are small (tens of nodes).
        var deepest = 0;
        var stack = new Stack<(int Node, int Depth)>();
        stack.Push((root, 0));
        while (stack.TryPop(out var item))
        {
            var n = _nodes[item.Node];
            if (n.Left == item.Node)
            {
                deepest = Math.Max(deepest, item.Depth);
                continue;
            }

            stack.Push((n.Left, item.Depth + 1));
            stack.Push((n.Right, item.Depth + 1));
        }

        return deepest;
    }

    // Left and Right are adjacent: a step picks Unsafe.Add(ref Left, 0 or 1).
    [StructLayout(LayoutKind.Sequential)]
    private struct Node
    {
        public int Feature;
        public float Threshold;
        public int Left;
        public int Right;
    }

    /// <summary>
    /// Flattens the trees of <paramref name="model"/> when it has a shape this evaluator reproduces
    /// exactly: label key mapping (ignored at prediction) followed by a one-versus-all softmax over
    /// LightGBM or FastTree tree ensembles with numerical splits only, reading a feature vector of
    /// <paramref name="featureCount"/> values from column <paramref name="featureColumn"/>. Otherwise
    /// returns null and says why in <paramref name="reason"/>.
    /// </summary>
    public static TreeEnsembleEvaluator? TryCreate(ITransformer model, int featureCount, string featureColumn, out string reason)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            return Create(model, featureCount, featureColumn, out reason);
        }
        catch (Exception ex) when (ex is InvalidCastException or NullReferenceException or TargetException or MemberAccessException or ArgumentException or IndexOutOfRangeException)
        {
            // Reading ML.NET's internals failed: another ML.NET version or a shape not foreseen.
            reason = $"the model's internals could not be read ({ex.GetType().Name}: {ex.Message})";
            return null;
        }
    }

    private static TreeEnsembleEvaluator? Create(ITransformer model, int featureCount, string featureColumn, out string reason)
    {
        var stages = model is IEnumerable<ITransformer> chain ? [.. chain] : new List<ITransformer> { model };
        MulticlassPredictionTransformer<OneVersusAllModelParameters>? predictor = null;
        foreach (var stage in stages)
        {
            switch (stage)
            {
                case ValueToKeyMappingTransformer when predictor is null:
                    // Maps the label for training; prediction does not read its output.
                    break;
                case MulticlassPredictionTransformer<OneVersusAllModelParameters> p when predictor is null:
                    predictor = p;
                    break;
                default:
                    reason = $"the pipeline holds a stage the tree evaluator does not reproduce ({stage.GetType().Name})";
                    return null;
            }
        }

        if (predictor is null)
        {
            reason = "the pipeline holds no one-versus-all multiclass predictor";
            return null;
        }

        if (predictor.FeatureColumnName != featureColumn)
        {
            reason = $"the predictor reads column '{predictor.FeatureColumnName}', not '{featureColumn}'";
            return null;
        }

        var ova = predictor.Model;
        var impl = typeof(OneVersusAllModelParameters).GetField("_impl", Internal)?.GetValue(ova);
        if (impl?.GetType().Name != "ImplSoftmax")
        {
            reason = $"the one-versus-all output is {impl?.GetType().Name ?? "unknown"}, not softmax";
            return null;
        }

        if (typeof(OneVersusAllModelParameters).GetProperty("SubModelParameters", Internal)?.GetValue(ova) is not IEnumerable subModels)
        {
            reason = "the one-versus-all sub-models could not be read";
            return null;
        }

        var classStart = new List<int> { 0 };
        var roots = new List<int>();
        var feature = new List<int>();
        var threshold = new List<float>();
        var left = new List<int>();
        var right = new List<int>();
        var missingGoesLeft = new List<bool>();
        var leafValue = new List<double>();
        foreach (var subModel in subModels)
        {
            // Softmax reads each class's raw (uncalibrated) score, so a calibrator wrapping it is skipped.
            var trees = subModel switch
            {
                TreeEnsembleModelParametersBasedOnRegressionTree t => t,
                CalibratedModelParametersBase c => UncalibratedOf(c),
                _ => null,
            };
            if (trees is null)
            {
                reason = $"a class's sub-model is {subModel?.GetType().Name ?? "null"}, not a tree ensemble";
                return null;
            }

            var ensemble = trees.TrainedTreeEnsemble;
            if (ensemble.Bias != 0)
            {
                reason = "a tree ensemble has a bias";
                return null;
            }

            for (var t = 0; t < ensemble.Trees.Count; t++)
            {
                if (ensemble.TreeWeights[t] != 1)
                {
                    reason = "a tree has a weight other than 1";
                    return null;
                }

                if (!AddTree(ensemble.Trees[t], featureCount, roots, feature, threshold, left, right, missingGoesLeft, leafValue, out reason))
                {
                    return null;
                }
            }

            classStart.Add(roots.Count);
        }

        if (classStart.Count < 3)
        {
            reason = "the model has fewer than two classes";
            return null;
        }

        reason = string.Empty;
        return new TreeEnsembleEvaluator(featureCount, [.. classStart], [.. roots], [.. feature], [.. threshold], [.. left], [.. right], [.. missingGoesLeft], [.. leafValue]);
    }

    private static TreeEnsembleModelParametersBasedOnRegressionTree? UncalibratedOf(CalibratedModelParametersBase calibrated)
    {
        // SubModel is declared by the generic base and hidden by nothing public above it.
        for (var type = calibrated.GetType(); type is not null; type = type.BaseType)
        {
            if (type.GetProperty("SubModel", BindingFlags.Instance | BindingFlags.Public | BindingFlags.DeclaredOnly) is { } property)
            {
                return property.GetValue(calibrated) as TreeEnsembleModelParametersBasedOnRegressionTree;
            }
        }

        return null;
    }

    private static bool AddTree(RegressionTree tree, int featureCount, List<int> roots, List<int> feature, List<float> threshold, List<int> left, List<int> right, List<bool> missingGoesLeft, List<double> leafValue, out string reason)
    {
        var nodeBase = feature.Count;
        var leafBase = leafValue.Count;
        // Arrays may be longer than the tree (ML.NET sizes them for the leaves a tree may grow to).
        if (tree.NumberOfLeaves < 1 || tree.LeafValues.Count < tree.NumberOfLeaves || tree.NumberOfNodes != tree.NumberOfLeaves - 1
            || tree.LeftChild.Count < tree.NumberOfNodes || tree.RightChild.Count < tree.NumberOfNodes
            || tree.NumericalSplitFeatureIndexes.Count < tree.NumberOfNodes || tree.NumericalSplitThresholds.Count < tree.NumberOfNodes)
        {
            reason = "a tree's node and leaf counts do not agree";
            return false;
        }

        // ML.NET replaces a missing (NaN) value by a per-node default when the tree has any; without
        // one, NaN <= threshold is false and the value goes right.
        var inner = typeof(RegressionTreeBase).GetField("_tree", Internal)?.GetValue(tree);
        var defaults = inner?.GetType().GetField("DefaultValueForMissing", Internal);
        if (defaults is null)
        {
            reason = "the trees' default values for missing features could not be read";
            return false;
        }

        var missing = (float[]?)defaults.GetValue(inner);
        if (missing is not null && missing.Length < tree.NumberOfNodes)
        {
            reason = "a tree has fewer default values for missing features than nodes";
            return false;
        }

        for (var n = 0; n < tree.NumberOfNodes; n++)
        {
            if (tree.CategoricalSplitFlags[n])
            {
                reason = "a tree has a categorical split";
                return false;
            }

            var f = tree.NumericalSplitFeatureIndexes[n];
            if (f < 0 || f >= featureCount)
            {
                reason = $"a tree splits on feature {f}, outside the {featureCount} inputs";
                return false;
            }

            feature.Add(f);
            threshold.Add(tree.NumericalSplitThresholds[n]);
            left.Add(Child(tree.LeftChild[n], nodeBase, leafBase, tree));
            right.Add(Child(tree.RightChild[n], nodeBase, leafBase, tree));
            missingGoesLeft.Add(missing is not null && missing[n] <= tree.NumericalSplitThresholds[n]);
        }

        for (var l = 0; l < tree.NumberOfLeaves; l++)
        {
            leafValue.Add(tree.LeafValues[l]);
        }

        // A single-leaf tree: ML.NET returns leaf 0 without looking at any feature.
        roots.Add(tree.NumberOfNodes == 0 ? ~leafBase : nodeBase);
        reason = string.Empty;
        return true;
    }

    private static int Child(int child, int nodeBase, int leafBase, RegressionTree tree)
    {
        if (child >= 0)
        {
            return child < tree.NumberOfNodes ? child + nodeBase : throw new ArgumentException("A tree's child index is out of range.");
        }

        return ~child < tree.NumberOfLeaves ? ~(~child + leafBase) : throw new ArgumentException("A tree's leaf index is out of range.");
    }
}
