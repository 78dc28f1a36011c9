using Microsoft.AspNetCore.Components;

namespace LongRecipe.Lab.Components;

/// <summary>
/// Answers a page whose address names nothing the Lab holds (a run, an experiment, runs to compare) with the Lab's
/// not-found page, 404 when prerendered, saying what is missing. Scoped: one per request and per circuit, as the
/// NavigationManager it goes through.
/// </summary>
public sealed class NotFoundReason(NavigationManager navigation)
{
    private (string Uri, string Text)? reason;

    /// <summary>Shows the not-found page in place of the current page, saying <paramref name="text"/>, e.g. "There is no run 7; …".</summary>
    public void NotFound(string text)
    {
        reason = (navigation.Uri, text);
        navigation.NotFound();
    }

    /// <summary>What the page at the current address found missing; null at an address no page has.</summary>
    // Kept with its address: a circuit that moves on to an address no page has must not show an earlier page's reason.
    public string? Text => reason is { } r && r.Uri == navigation.Uri ? r.Text : null;
}
