namespace LongRecipe.Lab.Components.Shared;

/// <summary>What is wrong with one field of a form, e.g. ("Length", "Training length L must be in [2, T = 8192], got 0.").</summary>
public sealed record FieldProblem(string Field, string Message);

public static class FieldProblems
{
    /// <summary>The messages for <paramref name="field"/> as one text, null when the field is fine (a MudBlazor field's ErrorText).</summary>
    public static string? For(this IEnumerable<FieldProblem> problems, string field) =>
        problems.Where(p => p.Field == field).Select(p => p.Message).ToList() is { Count: > 0 } messages ? string.Join(" ", messages) : null;
}
