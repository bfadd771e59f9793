"""The conversation: streamed answers, reasoning, tool and sub-agent cards, the plan, sanitized Markdown."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.pages import answers, open_new_session, script, send, wait_idle

# Records every class a tool card had while the run streamed, so a test can see the pending state even when
# the tool finishes within a millisecond.
WATCH_CARDS = """() => {
  window.cardStates = [];
  new MutationObserver(() => {
    for (const card of document.querySelectorAll('.card.tool')) window.cardStates.push(card.className);
  }).observe(document.querySelector('#messages'), {subtree: true, childList: true, attributes: true});
}"""


WATCH_THINKING = """() => {
  window.sawLiveThinking = false;
  new MutationObserver(() => {
    if (document.querySelector('.thinking.live .thinking-text')?.textContent) window.sawLiveThinking = true;
  }).observe(document.querySelector('#messages'), {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def test_send_streams_the_answer_and_blocks_input_until_it_ends(page, live):
    open_new_session(page, live.url)
    words = " ".join(f"word{i}" for i in range(30))
    send(
        page, "Hello there " + script({"content": words, "delay": 0.08, "prompt_eval_count": 6000, "eval_count": 2192})
    )

    expect(page.locator(".msg.user .user-text")).to_contain_text("Hello there")
    # Part of the answer is on screen while the rest still streams, and the input is blocked meanwhile.
    expect(answers(page).first).to_contain_text("word3")
    assert "word29" not in answers(page).first.inner_text()
    expect(page.locator("#composer-input")).to_be_disabled()
    expect(page.locator("#send-button")).to_be_disabled()
    expect(page.locator("#stop-button")).to_be_visible()

    wait_idle(page)
    expect(answers(page)).to_have_count(1)
    expect(answers(page).first).to_have_text(words)
    stats = page.locator(".turn-stats")
    expect(stats).to_contain_text("0 tool calls")
    expect(stats).to_contain_text("tokens")
    # The gauge follows stream_end: 8192 of the 32768 tokens (NAVI_DEFAULT_CONTEXT_TOKENS, below the model's own).
    expect(page.locator("#context-gauge")).to_have_attribute("aria-valuenow", "25")
    expect(page.locator("#gauge-text")).to_contain_text("25%")
    expect(page.locator("#composer-input")).to_be_focused()


def test_enter_sends_and_shift_enter_breaks_the_line(page, live):
    open_new_session(page, live.url)
    box = page.locator("#composer-input")
    box.click()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    expect(page.locator(".msg.user")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.locator(".msg.user .user-text")).to_have_text("first line\nsecond line")
    wait_idle(page)
    expect(answers(page).first).to_contain_text("Echo: first line")
    expect(box).to_have_value("")


def test_reasoning_is_shown_while_the_answer_streams_then_collapses(page, live):
    open_new_session(page, live.url)
    page.evaluate(WATCH_THINKING)
    thoughts = " ".join(f"idea{i}" for i in range(25))
    words = " ".join(f"word{i}" for i in range(20))
    send(page, "Think first " + script({"thinking": thoughts, "content": words, "delay": 0.08}))

    # The engine sends reasoning once it knows the turn ends in an answer; it is on screen before the answer is.
    block = page.locator(".thinking")
    expect(block).to_contain_text("idea24")
    expect(page.locator("#stop-button")).to_be_visible()
    assert "word19" not in answers(page).first.inner_text()
    assert page.evaluate("window.sawLiveThinking") is True

    wait_idle(page)
    expect(block).to_have_count(1)
    expect(block).not_to_have_attribute("open", "")
    expect(block.locator("summary")).to_contain_text("Reasoning")
    block.locator("summary").click()
    expect(block.locator(".thinking-text")).to_have_text(thoughts)
    expect(answers(page).first).to_have_text(words)


def test_tool_card_goes_from_pending_to_done(page, live):
    open_new_session(page, live.url)
    page.evaluate(WATCH_CARDS)
    send(
        page,
        "Add milk "
        + script(
            {
                "thinking": "The user wants milk on the list.",
                "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "milk"}}],
            },
            {"content": "Added **milk** to your list."},
        ),
    )
    wait_idle(page)
    card = page.locator(".card.tool")
    expect(card).to_have_count(1)
    expect(card).to_have_class("card tool success")
    expect(card.locator(".tool-name")).to_have_text("todo")
    expect(card.locator(".tool-args")).to_contain_text("milk")
    card.locator("summary").click()
    expect(card.locator("pre.args")).to_contain_text('"action": "add"')
    expect(card.locator(".result-text")).to_contain_text("milk")
    states = page.evaluate("window.cardStates")
    assert any("pending" in s for s in states), states
    expect(page.locator(".turn-stats")).to_contain_text("1 tool call")
    expect(answers(page).last.locator("strong")).to_have_text("milk")
    # The reasoning before the tool call came whole (turn_thinking) and sits collapsed above the card.
    expect(page.locator(".thinking").first).to_contain_text("The user wants milk")


def test_a_failing_tool_shows_as_failed(page, live):
    open_new_session(page, live.url)
    send(
        page,
        "Finish item 999 "
        + script(
            {"tool_calls": [{"name": "todo", "arguments": {"action": "complete", "id": 999}}]},
            {"content": "There is no such item."},
        ),
    )
    wait_idle(page)
    card = page.locator(".card.tool")
    expect(card).to_have_class("card tool failure")
    expect(card.locator(".status")).to_have_text("failed")
    card.locator("summary").click()
    expect(card.locator(".result-text")).to_contain_text("999")
    # Drawn from stored history, it is still a failure.
    page.reload()
    expect(page.locator(".card.tool")).to_have_class("card tool failure")


def test_sub_agent_events_go_into_the_spawn_agent_card(page, live, fake_ollama_server):
    open_new_session(page, live.url, "web")
    # The sub-agent's own model calls see the task as their user message, so the task names their script.
    fake_ollama_server.set_script(
        "eggs",
        [
            {
                "thinking": "Sub-agent reasoning.",
                "tool_calls": [{"name": "todo", "arguments": {"action": "add", "text": "eggs"}}],
            },
            {"content": "Eggs are on the list."},
        ],
    )
    task = "Put eggs on the list [[fake:eggs]]"
    fake_ollama_server.add_rule(
        "DELEGATE",
        [
            {"tool_calls": [{"name": "spawn_agent", "arguments": {"task": task}}]},
            {"content": "The sub-agent added eggs."},
        ],
    )
    send(page, "DELEGATE: put eggs on my list")
    wait_idle(page)

    agent_card = page.locator(".card.tool.subagent")
    expect(agent_card).to_have_count(1)
    expect(agent_card).to_have_class("card tool subagent success")
    expect(agent_card.locator(".tool-name").first).to_have_text("Sub-agent")
    agent_card.locator("summary").first.click()
    nested = agent_card.locator(".subagent-events")
    expect(nested.locator(".card.tool")).to_have_count(1)
    expect(nested.locator(".card.tool .tool-name")).to_have_text("todo")
    expect(nested.locator(".card.tool")).to_have_class("card tool success")
    expect(nested.locator(".thinking")).to_contain_text("Sub-agent reasoning.")
    # Nothing of the sub-agent leaked to the top level of the turn.
    expect(page.locator(".turn-body > .card.tool")).to_have_count(1)
    expect(agent_card.locator(":scope > .card-body > .result .result-text")).to_contain_text("Eggs are on the list.")
    expect(answers(page).last).to_have_text("The sub-agent added eggs.")


def test_markdown_renders_code_blocks_and_leaves_scripts_inert(page, live):
    open_new_session(page, live.url)
    reply = (
        "# Title\n\nSome *emphasis* and a [link](https://example.com).\n\n"
        "```python\nprint('hi')\n```\n\n"
        "<script>window.pwned = 1</script>\n"
        '<img src="x" onerror="window.pwned = 2">\n'
        '<a href="javascript:window.pwned=3">click</a>\n'
    )
    send(page, "Show markdown " + script({"content": reply, "pieces": 12}))
    wait_idle(page)
    answer = answers(page).last
    expect(answer.locator("h1")).to_have_text("Title")
    expect(answer.locator("em")).to_have_text("emphasis")
    expect(answer.locator("pre.code-block code")).to_have_text("print('hi')")
    expect(answer.locator("pre.code-block")).to_have_attribute("data-lang", "python")
    expect(answer.locator("a[href='https://example.com']")).to_have_attribute("rel", "noopener noreferrer")
    expect(answer.locator("script")).to_have_count(0)
    expect(answer.locator("[onerror]")).to_have_count(0)
    expect(answer.locator("a[href^='javascript']")).to_have_count(0)
    answer.get_by_text("click").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None


def test_plan_card_shows_the_plan(page, live, fake_ollama_server):
    fake = fake_ollama_server
    fake.add_rule("planning phase: analysis", [{"content": "NEEDS_PLAN: yes\nSeveral steps."}], where="system")
    fake.add_rule("planning phase: reflect", [{"content": "- check the list first"}], where="system")
    fake.add_rule("planning phase: plan", [{"content": "1. List the todos\n2. Add bread"}], where="system")
    fake.add_rule(
        "PLANME",
        [{"tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]}, {"content": "Your list is empty."}],
    )
    open_new_session(page, live.url, "planner")
    send(page, "PLANME: what should I buy?")
    wait_idle(page)
    plan = page.locator(".card.plan")
    expect(plan).to_have_count(1)
    expect(plan).to_have_attribute("open", "")
    expect(plan.locator("li")).to_have_count(2)
    expect(plan.locator("li").nth(1)).to_have_text("Add bread")
    expect(page.locator(".planning-status")).to_have_count(0)
    # The plan comes before the tool loop.
    order = page.eval_on_selector_all(".turn-body > *", "els => els.map(e => e.className)")
    assert order.index("card plan") < next(i for i, c in enumerate(order) if c.startswith("card tool")), order
    # After a reload the stored plan is a plan card again.
    page.reload()
    expect(page.locator(".card.plan li")).to_have_count(2)


def test_context_compression_shows_a_notice(page, live, fake_ollama_server):
    fake = fake_ollama_server
    fake.add_rule("You compress a conversation", [{"content": "SUMMARY: small talk."}], where="system")
    fake.add_rule("BIG", [{"content": "A long answer.", "prompt_eval_count": 3500, "eval_count": 100}])
    open_new_session(page, live.url, "tiny")
    for n in range(3):
        send(page, f"small talk {n}")
        wait_idle(page)
    send(page, "BIG question")
    notice = page.locator(".notice.compressed")
    expect(notice).to_contain_text("Context compressed")
    expect(notice).to_contain_text("messages")
    notice.locator("summary").click()
    expect(notice).to_contain_text("SUMMARY: small talk.")
    expect(page.locator(".turn .answer")).to_have_count(4)  # the display history is untouched


def test_a_sub_agent_that_plans_shows_its_plan_inside_its_card(page, live, fake_ollama_server):
    fake = fake_ollama_server
    fake.add_rule("planning phase: analysis", [{"content": "NEEDS_PLAN: yes\nA few steps."}], where="system")
    fake.add_rule("planning phase: reflect", [{"content": "- keep it short"}], where="system")
    fake.add_rule("planning phase: plan", [{"content": "1. Pick a park\n2. Pack sandwiches"}], where="system")
    fake.add_rule("Plan a picnic", [{"content": "Picnic planned."}])
    fake.add_rule(
        "DELEGATE_PLAN",
        [
            {"tool_calls": [{"name": "spawn_agent", "arguments": {"task": "Plan a picnic", "profile_id": "planner"}}]},
            {"content": "The helper planned the picnic."},
        ],
    )
    open_new_session(page, live.url, "web")
    send(page, "DELEGATE_PLAN: a picnic on Sunday")
    wait_idle(page)
    agent_card = page.locator(".card.tool.subagent")
    expect(agent_card).to_have_class("card tool subagent success")
    agent_card.locator("summary").first.click()
    nested_plan = agent_card.locator(".subagent-events .card.plan")
    expect(nested_plan.locator("li")).to_have_count(2)
    expect(nested_plan.locator("li").first).to_have_text("Pick a park")
    expect(page.locator(".turn-body > .card.plan")).to_have_count(0)  # not at the top level
    expect(page.locator(".planning-status")).to_have_count(0)
    expect(answers(page).last).to_have_text("The helper planned the picnic.")


def test_text_before_and_after_a_tool_call_is_shown_once_each(page, live):
    open_new_session(page, live.url)
    send(
        page,
        "Check "
        + script(
            {"content": "Let me look.", "tool_calls": [{"name": "todo", "arguments": {"action": "list"}}]},
            {"content": "Nothing is on your list."},
        ),
    )
    wait_idle(page)
    texts = answers(page).all_inner_texts()
    assert "".join(texts).count("Let me look.") <= 1 and "".join(texts).count("Nothing is on your list.") == 1, texts
    assert texts[-1] == "Nothing is on your list.", texts
    order = page.eval_on_selector_all(".turn-body > *", "els => els.map(e => e.textContent.trim().slice(0, 12))")
    page.reload()
    expect(answers(page).last).to_have_text("Nothing is on your list.")
    # Stored history draws them in the order they streamed.
    assert (
        page.eval_on_selector_all(".turn-body > *", "els => els.map(e => e.textContent.trim().slice(0, 12))") == order
    )
    assert "".join(answers(page).all_inner_texts()).count("Nothing is on your list.") == 1


def test_reasoning_before_text_and_a_tool_call_in_one_turn_is_shown_once_live_and_after_a_reload(page, live):
    open_new_session(page, live.url)
    turn = {
        "thinking": "First check the list, then answer.",
        "content": "Let me look. ",
        "tool_calls": [{"name": "todo", "arguments": {"action": "list"}}],
    }
    send(page, "What is on my list? " + script(turn, {"content": "Your list is empty."}))
    wait_idle(page)
    blocks = page.locator(".thinking")
    expect(blocks).to_have_count(1)
    blocks.first.locator("summary").click()
    expect(blocks.first.locator(".thinking-text")).to_have_text("First check the list, then answer.")
    expect(answers(page).last).to_contain_text("Your list is empty.")
    page.reload()
    expect(answers(page).last).to_contain_text("Your list is empty.")
    expect(page.locator(".thinking")).to_have_count(1)


def test_an_answer_cut_off_at_the_token_limit_says_so_live_and_after_a_reload(page, live, fake_ollama_server):
    # A model Ollama cannot shift the context of stops when its context is full: done_reason "length".
    fake_ollama_server.set_model("tiny:ctx", context_shift=False)
    fake_ollama_server.add_rule("write a long story", [{"content": " ".join(f"w{i}" for i in range(5000))}])
    open_new_session(page, live.url, profile_id="tiny")
    send(page, "write a long story")
    wait_idle(page)
    expect(page.locator(".notice.truncated")).to_have_text("The answer was cut off at the model's token limit.")
    expect(answers(page).first).to_contain_text("w0 w1 w2")
    page.reload()
    expect(page.locator(".notice.truncated")).to_have_count(1)
